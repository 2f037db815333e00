"""The department integration kit: a FastStream app that receives one department's work
orders, for one plaza or all of them, from dispatch's DISPATCH stream.

It subscribes with a durable pull consumer to

    plazadesk.dispatch.<plaza>.<department>.work_order.>

(``libs.contracts``: ``STREAMS["dispatch"]``; ``*`` for every plaza), decodes each event
with the contracts' decoder into its type, hands it to the hook (``hook.py``) and
acknowledges it once the hook returned. A hook that fails gets the event again after a
growing delay; an event this kit cannot decode (a newer type than its contracts know) is
logged and set aside (terminated: it stays in the stream). The durable consumer remembers
what was acknowledged: after a restart the kit goes on from there.

It only reads. Work orders are changed through dispatch's HTTP API, never by publishing.
"""

import asyncio
import inspect
import logging
import os
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import msgspec
from fast_depends.msgspec import MsgSpecSerializer
from faststream import AckPolicy, FastStream
from faststream.exceptions import NackMessage, RejectMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.nats.security import NatsUserPassword
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy

from integrations.department import hook as hooks
from libs.contracts import STREAMS, validate_token
from libs.contracts.events import DECODERS, DispatchEvent

logger = logging.getLogger("plazadesk.department")

USAGE = """\
usage: python -m integrations.department [--help]

Receives one department's PlazaDesk work orders (created, assigned, started, resolved,
closed, reopened, escalated, cancelled) and hands each to a hook; by default it writes
each as one JSON line. Stop it with Ctrl-C or SIGTERM; it goes on where it stopped.

Settings (environment variables):
  PLAZADESK_DEPARTMENT   required: the department, e.g. engineering
  PLAZADESK_PLAZA        required: the plaza id, e.g. p1, or * for every plaza
  PLAZADESK_NATS_URL     PlazaDesk's NATS (default nats://127.0.0.1:4222)
  PLAZADESK_NATS_USER    the department's NATS user, dept-<department> (or in the URL:
  PLAZADESK_NATS_PASSWORD  nats://user:password@host:4222); it may read only this
                         department's work orders, through durables dept-<department>-all
                         and dept-<department>-<plaza>
  PLAZADESK_DURABLE      the consumer's name on the server (default
                         dept-<department>-<plaza>, 'all' for *); one per receiving system
  PLAZADESK_HOOK         package.module:function called with each event (default: write
                         JSON lines to PLAZADESK_OUTPUT)
  PLAZADESK_OUTPUT       the default hook's file, appended to; - for stdout (default -)
  PLAZADESK_DELIVER      all: every work order still in the stream on the first start;
                         new: only those published from the first start (default all)
  PLAZADESK_MAX_DELIVER  deliveries of an event whose hook keeps failing (default 100;
                         the delay between them grows to 60 s)
  PLAZADESK_ACK_WAIT_S   seconds the hook may take before the event is delivered again
                         (default 30)
"""


class SettingsError(ValueError):
    pass


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    department: str
    plaza: str
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str = ""
    nats_password: str = ""
    durable: str = ""
    hook: str = ""
    output: str = "-"
    deliver: str = "all"
    max_deliver: int = 100
    ack_wait_s: float = 30.0

    def __post_init__(self) -> None:
        try:
            validate_token(self.department, "PLAZADESK_DEPARTMENT")
            if self.plaza != "*":
                validate_token(self.plaza, "PLAZADESK_PLAZA")
            validate_token(self.consumer, "PLAZADESK_DURABLE")
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        if self.deliver not in ("all", "new"):
            raise SettingsError(f"PLAZADESK_DELIVER must be all or new, not {self.deliver!r}")
        if self.max_deliver < 1 or self.ack_wait_s <= 0:
            raise SettingsError("PLAZADESK_MAX_DELIVER and PLAZADESK_ACK_WAIT_S must be positive")

    @property
    def consumer(self) -> str:
        return self.durable or f"dept-{self.department}-{'all' if self.plaza == '*' else self.plaza}"

    @property
    def user(self) -> str:
        return self.nats_user or (urlsplit(self.nats_url.split(",")[0].strip()).username or "")

    @property
    def subject(self) -> str:
        return STREAMS["dispatch"].subject(self.plaza, self.department, "work_order", ">")

    @classmethod
    def from_env(cls, env=os.environ) -> "Settings":
        missing = [name for name in ("PLAZADESK_DEPARTMENT", "PLAZADESK_PLAZA") if not env.get(name)]
        if missing:
            raise SettingsError(f"{' and '.join(missing)} must be set (see --help)")
        values: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            raw = env.get(f"PLAZADESK_{field.name.upper()}")
            if raw is not None:
                values[field.name] = raw
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(re.sub(r"`\$\.(\w+)`", lambda m: f"PLAZADESK_{m[1].upper()}", str(exc))) from exc


def retry_delay_s(deliveries: int) -> float:
    """1, 2, 4 … seconds, at most a minute: a department system that is down for a while
    is not flooded, and gets its events soon after it is back."""
    return float(min(2 ** max(deliveries - 1, 0), 60))


async def _decode(message) -> Any:
    """The contracts' decoder for dispatch's stream: bytes → the event's own type."""
    try:
        return DECODERS["dispatch"].decode(message.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        logger.error("undecodable event on %s set aside (upgrade the kit?): %s", message.raw_message.subject, exc)
        raise RejectMessage() from exc


def create_broker(settings: Settings, hook: hooks.Hook) -> NatsBroker:
    """The broker with the one subscriber; ``start()`` it (or run ``FastStream(broker)``)."""
    credentials: dict[str, Any] = {"security": NatsUserPassword(settings.nats_user, settings.nats_password)} \
        if settings.nats_user else {}
    # The user's replies and fetched events come under an inbox of its own, the only one
    # its NATS user may read (FastStream's subscriber names its inbox itself).
    inbox = f"_INBOX.{settings.user}" if settings.user else "_INBOX"
    broker = NatsBroker(settings.nats_url, serializer=MsgSpecSerializer(), logger=logger, name=settings.consumer,
                        inbox_prefix=inbox, **credentials)

    @broker.subscriber(
        settings.subject,
        stream=JStream(STREAMS["dispatch"].name, declare=False),  # dispatch's stream: never declared here
        durable=settings.consumer,
        # One event per fetch: a fetched event waits for the hook of those before it, and
        # its ack_wait runs meanwhile; a department's volume needs no more.
        pull_sub=PullSub(batch_size=1, timeout=5.0),
        inbox_prefix=f"{inbox}.".encode(),
        config=ConsumerConfig(
            durable_name=settings.consumer,
            ack_policy=JsAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL if settings.deliver == "all" else DeliverPolicy.NEW,
            max_deliver=settings.max_deliver,
            ack_wait=settings.ack_wait_s,
        ),
        ack_policy=AckPolicy.NACK_ON_ERROR,  # acked when the handler returns
        decoder=_decode,
        title=settings.consumer,
        description=f"{settings.department}'s work orders ({settings.subject})",
    )
    async def on_work_order(event: DispatchEvent, message: NatsMessage) -> None:
        try:
            done = hook(event)
            if inspect.isawaitable(done):
                await done
        except Exception as exc:
            deliveries = message.raw_message.metadata.num_delivered
            if deliveries >= settings.max_deliver:
                logger.error("event %s (%s) given up after %d deliveries: %r", event.id, type(event).__name__,
                             deliveries, exc)
            else:
                logger.warning("hook failed on event %s (%s), delivery %d: %r", event.id, type(event).__name__,
                               deliveries, exc)
            raise NackMessage(delay=retry_delay_s(deliveries)) from exc

    return broker


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(USAGE, end="")
        return 0
    if argv:
        print(f"unknown arguments {argv}; settings come from the environment\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
        hook = hooks.load(settings.hook) if settings.hook else hooks.json_lines(settings.output)
    except (SettingsError, ValueError, ImportError, AttributeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = settings.nats_url.rpartition("@")[2]  # never log the credentials
    logger.info("receiving %s as durable %s from %s", settings.subject, settings.consumer, server)
    asyncio.run(FastStream(create_broker(settings, hook)).run())
    return 0
