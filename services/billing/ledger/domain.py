"""Billing rules: the ledger, what a payment must be, charge lines as ledger entries, and
which debts are still open.

Pure functions over plain values; no I/O. Money is integer fen (分), currency CNY. Every
entry's amount is positive and its kind says the direction, so the ledger never holds a
signed number whose sign could be misread; every balance is always derived from entries.

A unit's ledger holds three balances, kept apart because they are different money:
what the unit owes (charges, fees, payments, refunds, corrections), the renovation
deposit billing holds for it, and each prepaid utility's balance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

import msgspec

from libs.contracts.events import plaza_zone  # noqa: F401  (a plaza's zone, as its PlazaRegistered says)
from libs.runtime import foureyes

EntryKind = Literal[
    "charge", "fee", "payment", "refund", "correction_credit", "correction_debit",
    "deposit_held", "deposit_refund", "deposit_applied", "prepaid_recharge", "prepaid_deduction",
]
PaymentMethod = Literal["cash", "card", "transfer", "wechat", "alipay"]

CURRENCY = "CNY"
PAYMENT_METHODS: tuple[str, ...] = ("cash", "card", "transfer", "wechat", "alipay")
# A single payment above ten million yuan is a typo at a customer-service desk, and it
# keeps every sum well inside a 64-bit column.
MAX_PAYMENT_FEN = 1_000_000_000
# A work-order charge falls due this long after the job closed.
CHARGE_TERMS_DAYS = 15

# How each kind moves (owed, deposit held, prepaid balance).
EFFECT: dict[str, tuple[int, int, int]] = {
    "charge": (+1, 0, 0),
    "fee": (+1, 0, 0),
    "payment": (-1, 0, 0),
    # Money handed back out of a credit: the unit is owed less, i.e. owes more.
    "refund": (+1, 0, 0),
    "correction_credit": (-1, 0, 0),
    "correction_debit": (+1, 0, 0),
    "deposit_held": (0, +1, 0),
    "deposit_refund": (0, -1, 0),
    # Part of a deposit kept to pay a renovation deduction: pays the charge, leaves the deposit.
    "deposit_applied": (-1, -1, 0),
    "prepaid_recharge": (0, 0, +1),
    "prepaid_deduction": (0, 0, -1),
}
DIRECTION: dict[str, int] = {kind: effect[0] for kind, effect in EFFECT.items()}
CORRECTIONS = ("correction_credit", "correction_debit")
CORRECTABLE = ("charge", "fee", "payment", "refund")


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
    """A ledger entry about to be written; ``line_id`` makes an entry postable once only."""

    kind: EntryKind
    amount_fen: int
    description: str
    work_order_id: str | None = None
    line_id: str | None = None
    method: str | None = None
    reference: str | None = None
    invoice_id: str | None = None
    due_date: dt.date | None = None
    utility: str | None = None
    reverses_entry_id: str | None = None
    reason: str | None = None
    approver: str | None = None


class ChargeableLine(Protocol):
    line_id: str
    description: str
    amount_fen: int


class Closing(Protocol):
    """What billing reads of a closed work order."""

    plaza_id: str
    work_order_id: str
    paid: bool
    occurred_at: dt.datetime
    charge_lines: list


class Balances(msgspec.Struct, frozen=True, kw_only=True):
    owed_fen: int
    deposit_held_fen: int
    prepaid_fen: dict[str, int]


def owed_fen(entries: Iterable[HasAmount]) -> int:
    """Everything owed minus everything paid; negative means a credit."""
    return sum(DIRECTION[e.kind] * e.amount_fen for e in entries)


def balances(entries: Iterable) -> Balances:
    owed = deposit = 0
    prepaid: dict[str, int] = {}
    for e in entries:
        o, d, p = EFFECT[e.kind]
        owed += o * e.amount_fen
        deposit += d * e.amount_fen
        if p:
            prepaid[e.utility] = prepaid.get(e.utility, 0) + p * e.amount_fen
    return Balances(owed_fen=owed, deposit_held_fen=deposit, prepaid_fen=prepaid)


def credit_fen(entries: Iterable[HasAmount]) -> int:
    return max(0, -owed_fen(entries))


def validate_amount(amount_fen: object, field: str = "amount_fen") -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise Refused(f"{field} must be a whole number of fen", field=field)
    if amount_fen <= 0:
        raise Refused(f"{field} must be positive, got {amount_fen}", field=field)
    if amount_fen > MAX_PAYMENT_FEN:
        raise Refused(f"{field} {amount_fen} is above the {MAX_PAYMENT_FEN} fen limit", field=field)


def validate_payment(amount_fen: object, method: object) -> None:
    validate_amount(amount_fen)
    if method not in PAYMENT_METHODS:
        raise Refused(f"method must be one of {', '.join(PAYMENT_METHODS)}", field="method")


def payment(amount_fen: int, method: str, reference: str | None) -> Posting:
    validate_payment(amount_fen, method)
    return Posting(
        kind="payment", amount_fen=amount_fen, method=method, reference=reference,
        description=f"payment by {method}",
    )


def refund(amount_fen: int, method: str, reason: str | None, credit: int) -> Posting:
    """A refund pays out of the unit's credit and never more than it."""
    validate_payment(amount_fen, method)
    if amount_fen > credit:
        raise Refused(
            f"refund of {amount_fen} fen is more than the unit's credit of {credit} fen", field="amount_fen"
        )
    return Posting(kind="refund", amount_fen=amount_fen, method=method, reason=reason,
                   description=f"refund by {method}", due_date=None)


def correctable(original, reason: str) -> str:
    """What a correction of ``original`` would be (its kind), checked when it is asked for:
    a correction is itself never corrected, and it says why."""
    if original.kind in CORRECTIONS:
        raise Refused(f"entry {original.id!r} is a correction; it cannot be corrected again", field="entry_id")
    if original.kind not in CORRECTABLE:
        raise Refused(f"a {original.kind} entry cannot be corrected here", field="entry_id")
    if not reason.strip():
        raise Refused("a correction needs a reason", field="reason")
    return "correction_credit" if DIRECTION[original.kind] > 0 else "correction_debit"


def correction(original, reason: str, approver: str) -> Posting:
    """The full reversal of one entry, as posted once its approver said yes."""
    kind = correctable(original, reason)
    if not approver.strip():
        raise Refused("a correction needs an approver", field="approver")
    return Posting(
        kind=kind, amount_fen=original.amount_fen, reverses_entry_id=original.id, reason=reason,
        approver=approver, work_order_id=original.work_order_id, invoice_id=original.invoice_id,
        description=f"correction of {original.kind}: {reason}",
    )


RequestStatus = foureyes.Status


def local_date(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The plaza's calendar day at an instant: 23:30 UTC is already tomorrow in Shanghai."""
    return at.astimezone(zone).date()


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The instant (in UTC) a plaza's local day begins."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)


def charge_due(occurred_at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return local_date(occurred_at, zone) + dt.timedelta(days=CHARGE_TERMS_DAYS)


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


def charges_of_closings(
    closings: Iterable[Closing], zones: Mapping[str, dt.tzinfo] | None = None,
) -> list[tuple[Closing, Posting]]:
    """The charges a run of closings (in stream order) may post: a paid closing's lines,
    each (plaza, line id) once, by the first closing that carries it, exactly as posting
    them one closing at a time would. Unpaid closings post nothing; one negative line
    refuses its whole closing. The ledger's unique key still decides against earlier runs.
    A charge falls due counted from the plaza's local day of the closing (``zones`` by
    plaza; a plaza not in it is in the default zone).
    """
    zones = zones or {}
    seen: set[tuple[str, str]] = set()
    out: list[tuple[Closing, Posting]] = []
    for closing in closings:
        if not closing.paid:
            continue
        due = charge_due(closing.occurred_at, zones.get(closing.plaza_id) or plaza_zone(None))
        for posting in charges_for(closing.work_order_id, closing.charge_lines):
            key = (closing.plaza_id, posting.line_id)
            if key not in seen:
                seen.add(key)
                out.append((closing, msgspec.structs.replace(posting, due_date=due)))
    return out


# --- open items ------------------------------------------------------------------------
# Payments are allocated to the oldest open item first (by due date), derived from the
# ledger every time rather than stored, so the allocation can never drift from the entries.
# A correction cancels exactly the entry it reverses instead of being spread FIFO.

class OpenItem(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str
    kind: str
    description: str
    amount_fen: int
    open_fen: int
    due_date: dt.date
    invoice_id: str | None = None
    work_order_id: str | None = None


def due_of(entry, zone: dt.tzinfo) -> dt.date:
    """A debit without a due date (a refund, a correction) is due the plaza's day it happened."""
    return entry.due_date or local_date(entry.occurred_at, zone)


def open_items(entries: Iterable, zone: dt.tzinfo) -> list[OpenItem]:
    """Debits left unpaid after every credit went to the oldest due first (days are the
    plaza's local days, ``zone``)."""
    entries = [e for e in entries if DIRECTION[e.kind] != 0]
    reversed_ids = {e.reverses_entry_id for e in entries if e.kind in CORRECTIONS}
    live = [e for e in entries if e.kind not in CORRECTIONS and e.id not in reversed_ids]
    credit = sum(e.amount_fen for e in live if DIRECTION[e.kind] < 0)
    debits = sorted((e for e in live if DIRECTION[e.kind] > 0), key=lambda e: (due_of(e, zone), e.occurred_at, e.id))
    items = []
    for e in debits:
        paid = min(credit, e.amount_fen)
        credit -= paid
        if paid < e.amount_fen:
            items.append(OpenItem(
                entry_id=e.id, kind=e.kind, description=e.description, amount_fen=e.amount_fen,
                open_fen=e.amount_fen - paid, due_date=due_of(e, zone),
                invoice_id=getattr(e, "invoice_id", None), work_order_id=getattr(e, "work_order_id", None),
            ))
    return items
