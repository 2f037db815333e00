"""The service's connection to NATS: nats-py's client and its JetStream context.

The runtime talks to nats-py directly: it declares its streams and durable pull consumers
and runs its own fetch loop (``libs.runtime.bus.feed``), so a broker framework between the
two would only hold the connection. FastStream describes the services' events (the AsyncAPI
document) and the department integration kit, where it serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from libs.runtime import logging as log
from libs.runtime.bus.access import inbox_prefix
from libs.runtime.settings import nats_servers

logger = log.get("nats")


class Broker:
    """``url`` may name several servers, comma-separated (a cluster). ``callbacks``:
    nats-py's ``disconnected_cb``, ``reconnected_cb``, ``closed_cb``. ``user`` and
    ``password``: the service's own NATS user (``libs.runtime.bus.access``); its replies
    then come under an inbox of its own, the only one its user may subscribe to.

    The client reconnects for as long as it takes (nats-py's default gives up after 60
    attempts, two minutes, and the service would never publish again); a connection the
    server closes for good (after an ``-ERR``) is the runtime's to re-open (``reopen``)."""

    def __init__(
        self, url: str, *, name: str = "plazadesk", user: str = "", password: str = "",
        **callbacks: Callable[[], Awaitable[None]],
    ) -> None:
        self.options = {
            "servers": nats_servers(url), "name": name, "max_reconnect_attempts": -1,
            "error_cb": _log_error, **callbacks,
        }
        if user:
            self.options.update(user=user, password=password, inbox_prefix=inbox_prefix(user))
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None

    async def connect(self) -> None:
        if self.nc is None or self.nc.is_closed:
            nc = await nats.connect(**self.options)
            self.nc, self.js = nc, nc.jetstream()

    async def reopen(self) -> None:
        """A new connection in place of one closed for good (or half re-opened)."""
        old, self.nc, self.js = self.nc, None, None
        if old is not None and not old.is_closed:
            await old.close()
        await self.connect()

    async def close(self) -> None:
        """Closed, not drained: what is in the write buffer (acks) is written first, and a
        connection that is reconnecting stops (draining refuses one)."""
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()

    @property
    def is_connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected


def make_broker(url: str, **options) -> Broker:
    return Broker(url, **options)


async def _log_error(error: Exception) -> None:
    # A refused reconnect attempt (an OSError) is expected during an outage, which the
    # runtime logs once (nats_disconnected); the protocol's own errors are worth a line.
    if isinstance(error, NatsError):
        logger.warning("nats_error", error=repr(error))
