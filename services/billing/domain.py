"""Billing rules: the ledger, what a payment must be, and charge lines as ledger entries.

Pure functions over plain values; no I/O. Money is integer fen (分), currency CNY. Every
entry's amount is positive and its kind says the direction, so the ledger never holds a
signed number whose sign could be misread; the balance is always derived from entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

import msgspec

EntryKind = Literal["charge", "payment"]
PaymentMethod = Literal["cash", "card", "transfer", "wechat", "alipay"]

CURRENCY = "CNY"
PAYMENT_METHODS: tuple[str, ...] = ("cash", "card", "transfer", "wechat", "alipay")
# A single payment above ten million yuan is a typo at a customer-service desk, and it
# keeps every sum well inside a 64-bit column.
MAX_PAYMENT_FEN = 1_000_000_000

# Which way each kind of entry moves what the unit owes.
DIRECTION: dict[str, int] = {"charge": +1, "payment": -1}


class Refused(ValueError):
    """A rule said no; ``field`` names what the caller got wrong."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class HasAmount(Protocol):
    kind: str
    amount_fen: int


class Posting(msgspec.Struct, frozen=True, kw_only=True):
    """A ledger entry about to be written; ``line_id`` makes a charge postable once only."""

    kind: EntryKind
    amount_fen: int
    description: str
    work_order_id: str | None = None
    line_id: str | None = None
    method: str | None = None
    reference: str | None = None


class ChargeableLine(Protocol):
    line_id: str
    description: str
    amount_fen: int


def owed_fen(entries: Iterable[HasAmount]) -> int:
    """Charges minus payments; negative means the unit has paid in advance (credit)."""
    return sum(DIRECTION[e.kind] * e.amount_fen for e in entries)


def validate_payment(amount_fen: object, method: object) -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise Refused("amount_fen must be a whole number of fen", field="amount_fen")
    if amount_fen <= 0:
        raise Refused(f"amount_fen must be positive, got {amount_fen}", field="amount_fen")
    if amount_fen > MAX_PAYMENT_FEN:
        raise Refused(f"amount_fen {amount_fen} is above the {MAX_PAYMENT_FEN} fen limit", field="amount_fen")
    if method not in PAYMENT_METHODS:
        raise Refused(f"method must be one of {', '.join(PAYMENT_METHODS)}", field="method")


def payment(amount_fen: int, method: str, reference: str | None) -> Posting:
    validate_payment(amount_fen, method)
    return Posting(
        kind="payment", amount_fen=amount_fen, method=method, reference=reference,
        description=f"payment by {method}",
    )


def charges_for(work_order_id: str, lines: Iterable[ChargeableLine]) -> list[Posting]:
    """One charge per distinct line id; free lines post nothing, negative ones are refused.

    A line id repeated inside one event keeps its first occurrence, matching what the
    ledger's unique key does across events.
    """
    postings: dict[str, Posting] = {}
    for line in lines:
        if line.amount_fen < 0:
            raise Refused(
                f"charge line {line.line_id!r} of work order {work_order_id!r} has a negative amount",
                field="charge_lines.amount_fen",
            )
        if line.amount_fen == 0 or line.line_id in postings:
            continue
        postings[line.line_id] = Posting(
            kind="charge", amount_fen=line.amount_fen, description=line.description,
            work_order_id=work_order_id, line_id=line.line_id,
        )
    return list(postings.values())
