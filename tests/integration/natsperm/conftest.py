"""A nats-server of the test's own, with the users and permissions ``make run`` and the
deploys give it (scripts/natsconf.py), and clients that connect as one of those users."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from libs.runtime.bus.access import inbox_prefix
from scripts import natsconf
from scripts.natsserver import NatsServer

DEPARTMENTS = ("engineering", "security")


class Guarded:
    """The server, its users' passwords, and clients that remember what the server refused."""

    def __init__(self, server: NatsServer, passwords: dict[str, str], log: Path) -> None:
        self.server = server
        self.log = log
        self.url = server.url
        self.passwords = passwords
        self.clients: list = []

    async def connect(self, user: str, password: str | None = None, **options):
        """A client of ``user``; its ``refused`` lists the server's errors (permission violations)."""
        refused: list[str] = []

        async def on_error(error: Exception) -> None:
            refused.append(str(error))

        nc = await nats.connect(
            self.url, user=user, password=self.passwords[user] if password is None else password,
            inbox_prefix=inbox_prefix(user), error_cb=on_error, allow_reconnect=False, **options,
        )
        nc.refused = refused
        self.clients.append(nc)
        return nc

    def violations(self) -> list[str]:
        """Every permission the server refused, as its log names them (user and subject)."""
        return [line for line in self.log.read_text(errors="replace").splitlines() if "Violation" in line]

    @staticmethod
    async def violation(nc, what: str, timeout: float = 5.0) -> str:
        """The server's permission violation naming ``what`` (it comes back asynchronously)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = [e for e in nc.refused if "permissions violation" in e.lower() and what.lower() in e.lower()]
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no permission violation for {what!r}; errors: {nc.refused}")


@pytest.fixture
async def guarded(tmp_path):
    passwords = natsconf.ensure_passwords(tmp_path / "nats" / "passwords.json", natsconf.user_names(DEPARTMENTS))
    users = natsconf.users({n: natsconf.Password(p) for n, p in passwords.items()}, DEPARTMENTS, plazas=("p1",))
    server = NatsServer(tmp_path / "nats", authorization=natsconf.authorization(users)).start(tmp_path / "nats.log")
    g = Guarded(server, passwords, tmp_path / "nats.log")
    yield g
    for nc in g.clients:
        if not nc.is_closed:
            await nc.close()
    server.stop()
