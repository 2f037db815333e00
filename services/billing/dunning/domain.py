"""How old the open debts are, and what dunning (催缴) does about them; which
complaints hold it. Which debts are open is the ledger's rule (ledger.domain.open_items)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from services.billing.ledger.domain import OpenItem

# Days past due at which each bucket starts; dunning issues one reminder per bucket.
BUCKETS: tuple[tuple[int, str], ...] = ((180, "180+"), (90, "90-179"), (60, "60-89"), (30, "30-59"), (1, "1-29"))
BUCKET_NAMES: tuple[str, ...] = tuple(name for _, name in reversed(BUCKETS))
ESCALATION_STAGE = "180+"


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
# A complaint's events come on different consumers (created, closed, reopened,
# cancelled), so they arrive in any order, and the same one may come twice. Each carries
# reopen_count, which puts them in one order: created 0, closed 1, reopened 2, closed
# again 3, … (a cancel ends a job like a close). A late event never undoes a later one:
# what a user sees is that a late or repeated close cannot lift the hold of a newer reopen.

def complaint_step(reopen_count: int, *, closed: bool) -> int:
    return 2 * reopen_count + (1 if closed else 0)


def step_status(step: int) -> str:
    return "closed" if step % 2 else "open"


def latest_steps(moves: Iterable[tuple[str, str, str, int]]) -> list[dict]:
    """(plaza, unit, work order, step) → one row per (plaza, work order) with its latest
    step (one upsert can move a row once only) and the first one's unit."""
    rows: dict[tuple[str, str], dict] = {}
    for plaza_id, unit, work_order_id, step in moves:
        row = rows.setdefault((plaza_id, work_order_id), {
            "plaza_id": plaza_id, "work_order_id": work_order_id, "unit": unit, "step": step})
        row["step"] = max(row["step"], step)
    return [{**row, "status": step_status(row["step"])} for row in rows.values()]


# --- the desk's corrections of a request's kind ------------------------------------------
# A correction (RequestReclassified) that makes a request a complaint holds its unit's
# dunning as any open complaint does; one that takes the complaint away lifts that
# request's hold (other complaints of the unit still hold it). A correction between two
# other kinds (a service job turned into praise) says nothing about dunning.

def correction_row(*, plaza_id: str, request_id: str, unit: str, kind: str, previous_kind: str,
                   at: dt.datetime) -> dict | None:
    """The row a correction leaves, or None when neither kind is a complaint."""
    if "complaint" not in (kind, previous_kind):
        return None
    return {"plaza_id": plaza_id, "request_id": request_id, "unit": unit,
            "complaint": kind == "complaint", "ended": False, "reclassified_at": at}


def latest_corrections(rows: Iterable[dict | None]) -> list[dict]:
    """One row per (plaza, request), the latest correction's (one upsert moves a row once)."""
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row is None:
            continue
        key = (row["plaza_id"], row["request_id"])
        if key not in latest or row["reclassified_at"] >= latest[key]["reclassified_at"]:
            latest[key] = row
    return list(latest.values())

