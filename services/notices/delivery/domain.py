"""Delivery rules: the signed read link each recipient gets, the providers that carry a
notice by SMS, WeChat or e-mail (one adapter per provider, chosen per deployment), and how
long a failed message waits before its next attempt. Pure, but for the adapters' sends.

A read link's token is sealed by libs/runtime/links.py: the fields ``n1|<plaza>|<notice
id>|<unit>``, signed with HMAC-SHA256 under the deployment's secret.
It carries no expiry: opening a notice months later still says it was read."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import msgspec

from libs.runtime import links
from libs.runtime.links import RateLimiter  # noqa: F401  (the read links' limit, shared with survey)

VERSION = "n1"
MAX_ATTEMPTS = 5


class LinkRefused(Exception):
    """Not a link this deployment signed, or altered since: 403."""


class ReadClaims(msgspec.Struct, frozen=True):
    plaza_id: str
    notice_id: str
    unit: str


def sign(secret: str, claims: ReadClaims) -> str:
    return links.seal(secret, [VERSION, claims.plaza_id, claims.notice_id, claims.unit])


def link_url(console_url: str, plaza_id: str, token: str) -> str:
    """The address an occupant opens: the console's phone page for the link."""
    return f"{console_url.rstrip('/')}/n/{plaza_id}/{token}"


def verify(secret: str, token: str) -> ReadClaims:
    try:
        version, plaza_id, notice_id, unit = links.unseal(secret, token)
    except (links.BadToken, ValueError) as exc:
        raise LinkRefused("this notice link is not valid") from exc
    if version != VERSION:
        raise LinkRefused("this notice link is not valid")
    return ReadClaims(plaza_id, notice_id, unit)


# --- providers ----------------------------------------------------------------------------


class Message(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    plaza_id: str
    channel: str
    address: str | None
    text: str


class SendFailed(Exception):
    """The provider did not take the message; it is tried again later."""


class Adapter(Protocol):
    name: str

    async def send(self, message: Message) -> str:
        """The provider's reference for the message taken, or SendFailed."""


class RecordingAdapter:
    """The default provider: sends nothing, keeps what it would have sent (a deployment
    without a provider, and every test)."""

    name = "record"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> str:
        if not message.address:
            raise SendFailed(f"no {message.channel} address for this unit")
        self.sent.append(message)
        return f"recorded-{len(self.sent)}"


def adapters_for(config: str) -> dict[str, Adapter]:
    """``"sms=record,wechat=record,email=record"`` → the adapter of each channel. Only the
    recording adapter ships; a provider's adapter is added here by name."""
    known = {"record": RecordingAdapter}
    out: dict[str, Adapter] = {}
    for part in filter(None, (p.strip() for p in config.split(","))):
        channel, _, name = part.partition("=")
        if name not in known:
            raise ValueError(f"channel {channel!r}: no provider adapter named {name!r} (known: {', '.join(known)})")
        out[channel.strip()] = known[name]()
    return out


def next_attempt(attempts: int, now: dt.datetime, first_wait_s: float = 30.0) -> dt.datetime | None:
    """When a message that failed ``attempts`` times is tried again (the wait doubling from
    ``first_wait_s``); None once it has had its last attempt."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + dt.timedelta(seconds=first_wait_s * 2 ** (attempts - 1))


