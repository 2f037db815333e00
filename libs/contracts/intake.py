"""Events on the INTAKE stream (produced by intake)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class RequestReceived(Event, frozen=True, kw_only=True, tag=True):
    request_id: str
    unit: str
    channel: Channel
    kind: Kind
    text: str
    contact: Contact | None = None
    serviceable: bool = True
    referral: str | None = None
    major: bool = False
    received_by: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "request", "received")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (RequestReceived,)
