"""Events on the BILLING stream (produced by billing)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class ChargePosted(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    work_order_id: str
    line_id: str
    description: str
    amount_fen: int
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "charge_posted")


class PaymentReceived(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    amount_fen: int
    method: PaymentMethod
    reference: str | None = None
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "payment_received")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (ChargePosted, PaymentReceived,)
