"""Which debts are still open, how old they are, and what dunning (催缴) does about them.

Payments are allocated to the oldest open item first (by due date), derived from the
ledger every time rather than stored, so the allocation can never drift from the entries.
A correction cancels exactly the entry it reverses instead of being spread FIFO.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from services.billing.domain import CORRECTIONS, DIRECTION, local_date

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


# --- complaints that hold dunning ------------------------------------------------------
# A work order's events come on different consumers (created, closed, reopened,
# cancelled), so they arrive in any order, and the same one may come twice. Each carries
# reopen_count, which puts them in one order: created 0, closed 1, reopened 2, closed
# again 3, … (a cancel ends a job like a close). A step never undoes a later one.

def work_order_step(reopen_count: int, *, closed: bool) -> int:
    return 2 * reopen_count + (1 if closed else 0)


def step_status(step: int) -> str:
    return "closed" if step % 2 else "open"


def latest_steps(moves: Iterable[tuple[str, str, str, int]]) -> list[dict]:
    """(plaza, unit, work order, step) in arrival order → one row per (plaza, work order)
    with its latest step and the first one's unit: what applying them in turn would leave
    on a new row (a stored row keeps its unit and moves on only to a later step)."""
    rows: dict[tuple[str, str], dict] = {}
    for plaza_id, unit, work_order_id, step in moves:
        row = rows.setdefault((plaza_id, work_order_id), {
            "plaza_id": plaza_id, "work_order_id": work_order_id, "unit": unit, "step": step})
        row["step"] = max(row["step"], step)
    return [{**row, "status": step_status(row["step"])} for row in rows.values()]
