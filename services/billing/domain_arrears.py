"""Which debts are still open, how old they are, and what dunning (催缴) does about them.

Payments are allocated to the oldest open item first (by due date), derived from the
ledger every time rather than stored, so the allocation can never drift from the entries.
A correction cancels exactly the entry it reverses instead of being spread FIFO.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from services.billing.domain import CORRECTIONS, DIRECTION

# Days past due at which each bucket starts; dunning issues one reminder per bucket.
BUCKETS: tuple[tuple[int, str], ...] = ((180, "180+"), (90, "90-179"), (60, "60-89"), (30, "30-59"), (1, "1-29"))
BUCKET_NAMES: tuple[str, ...] = tuple(name for _, name in reversed(BUCKETS))
ESCALATION_STAGE = "180+"


class OpenItem(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str
    kind: str
    description: str
    amount_fen: int
    open_fen: int
    due_date: dt.date
    invoice_id: str | None = None
    work_order_id: str | None = None


def due_of(entry) -> dt.date:
    return entry.due_date or entry.occurred_at.date()


def open_items(entries: Iterable) -> list[OpenItem]:
    """Debits left unpaid after every credit went to the oldest due first."""
    entries = [e for e in entries if DIRECTION[e.kind] != 0]
    reversed_ids = {e.reverses_entry_id for e in entries if e.kind in CORRECTIONS}
    live = [e for e in entries if e.kind not in CORRECTIONS and e.id not in reversed_ids]
    credit = sum(e.amount_fen for e in live if DIRECTION[e.kind] < 0)
    debits = sorted((e for e in live if DIRECTION[e.kind] > 0), key=lambda e: (due_of(e), e.occurred_at, e.id))
    items = []
    for e in debits:
        paid = min(credit, e.amount_fen)
        credit -= paid
        if paid < e.amount_fen:
            items.append(OpenItem(
                entry_id=e.id, kind=e.kind, description=e.description, amount_fen=e.amount_fen,
                open_fen=e.amount_fen - paid, due_date=due_of(e),
                invoice_id=getattr(e, "invoice_id", None), work_order_id=getattr(e, "work_order_id", None),
            ))
    return items


def bucket(days_past_due: int) -> str | None:
    for start, name in BUCKETS:
        if days_past_due >= start:
            return name
    return None


def days_past_due(item: OpenItem, today: dt.date) -> int:
    return (today - item.due_date).days


def ageing(items: Iterable[OpenItem], today: dt.date) -> dict[str, int]:
    """Open fen per bucket; items not yet due are not arrears."""
    out = dict.fromkeys(BUCKET_NAMES, 0)
    for item in items:
        name = bucket(days_past_due(item, today))
        if name:
            out[name] += item.open_fen
    return out


class Reminder(msgspec.Struct, frozen=True, kw_only=True):
    item: OpenItem
    stage: str
    days_past_due: int

    @property
    def escalate(self) -> bool:
        return self.stage == ESCALATION_STAGE


def reminders_due(items: Iterable[OpenItem], today: dt.date, already: set[tuple[str, str]]) -> list[Reminder]:
    """One reminder per item per stage; an item found late gets its current stage only."""
    out = []
    for item in items:
        days = days_past_due(item, today)
        stage = bucket(days)
        if stage and (item.entry_id, stage) not in already:
            out.append(Reminder(item=item, stage=stage, days_past_due=days))
    return out
