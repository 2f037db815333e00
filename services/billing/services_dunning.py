"""Arrears ageing and dunning (催缴) use cases; complaints that hold dunning."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Literal

import msgspec
import sqlalchemy as sa

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import ArrearsEscalated, DunningReminderIssued
from libs.runtime import limits
from libs.runtime.errors import Conflict, NotFound
from libs.runtime.outbox import Tx
from services.billing import domain, domain_arrears, store, store_more
from services.billing.store_more import all_, complaints, dunning_tasks, insert_once, one

Outcome = Literal["reached", "promised_to_pay", "disputed", "no_answer", "wrong_number"]
# Outcomes after which the desk still has to call again.
RETRY_OUTCOMES = ("no_answer",)


class DunningRun(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    now: dt.datetime | None = None


class DunningReport(msgspec.Struct, kw_only=True):
    as_of: str
    reminders: int
    escalations: int
    held_units: list[str]


class OutcomeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: Outcome
    note: limits.Note | None = None


class UnitArrears(msgspec.Struct, kw_only=True):
    unit: str
    owed_fen: int
    overdue_fen: int
    buckets: dict[str, int]
    oldest_due_date: dt.date | None
    dunning_held: bool


async def open_complaint(tx: Tx, plaza_id: str, unit: str, work_order_id: str) -> None:
    await open_complaints(tx, [(plaza_id, unit, work_order_id)])


async def open_complaints(tx: Tx, opened: list[tuple[str, str, str]]) -> None:
    """(plaza, unit, work order) of complaints created. A work order already known from a
    close or a reopening that overtook its create stays where it is, now known as a complaint."""
    rows = domain_arrears.latest_steps(
        (p, u, w, domain_arrears.work_order_step(0, closed=False)) for p, u, w in opened)
    await store_more.mark_complaints(tx.conn, rows)


async def close_complaint(tx: Tx, plaza_id: str, unit: str, work_order_id: str, reopen_count: int = 0) -> None:
    await close_complaints(tx, [(plaza_id, unit, work_order_id, reopen_count)])


async def close_complaints(tx: Tx, closed: list[tuple[str, str, str, int]]) -> None:
    """(plaza, unit, work order, reopen count) of work orders closed or cancelled. Every one
    lands here, complaint or not: its create (which says which) may still be on its way."""
    await _advance(tx, closed, closed=True)


async def reopen_complaints(tx: Tx, reopened: list[tuple[str, str, str, int]]) -> None:
    """(plaza, unit, work order, reopen count) of work orders sent out again (second
    dispatch): a reopened complaint is open again, and holds dunning until it closes again."""
    await _advance(tx, reopened, closed=False)


async def _advance(tx: Tx, moves: list[tuple[str, str, str, int]], *, closed: bool) -> None:
    rows = domain_arrears.latest_steps(
        (p, u, w, domain_arrears.work_order_step(n, closed=closed)) for p, u, w, n in moves)
    await store_more.advance_complaints(tx.conn, rows)


async def held_units(conn, plaza_id: str) -> set[str]:
    """Units with a complaint open against the management: their dunning waits."""
    q = sa.select(complaints.c.unit).where(
        complaints.c.plaza_id == plaza_id, complaints.c.status == "open", complaints.c.complaint)
    return {r.unit for r in await all_(conn, q)}


async def plaza_today(conn, plaza_id: str, now: dt.datetime) -> dt.date:
    """The plaza's own calendar day at ``now``: days past due are counted in local days."""
    return domain.local_date(now, await store.plaza_zone(conn, plaza_id))


async def _open_items_by_unit(conn, plaza_id: str) -> dict[str, tuple[int, list]]:
    zone = await store.plaza_zone(conn, plaza_id)
    by_unit: dict[str, list] = defaultdict(list)
    for e in await store.plaza_entries(conn, plaza_id):
        by_unit[e.unit].append(e)
    return {u: (domain.owed_fen(es), domain_arrears.open_items(es, zone)) for u, es in by_unit.items()}


async def arrears(conn, plaza_id: str, today: dt.date) -> tuple[dict[str, int], list[UnitArrears]]:
    held = await held_units(conn, plaza_id)
    units, totals = [], dict.fromkeys(domain_arrears.BUCKET_NAMES, 0)
    for unit, (owed, items) in sorted((await _open_items_by_unit(conn, plaza_id)).items()):
        buckets = domain_arrears.ageing(items, today)
        overdue = sum(buckets.values())
        if not overdue:
            continue
        for name, fen in buckets.items():
            totals[name] += fen
        oldest = min(i.due_date for i in items)
        units.append(UnitArrears(unit=unit, owed_fen=owed, overdue_fen=overdue, buckets=buckets,
                                 oldest_due_date=oldest, dunning_held=unit in held))
    units.sort(key=lambda u: (-u.overdue_fen, u.unit))
    return totals, units


async def run_dunning(tx: Tx, plaza_id: str, now: dt.datetime) -> DunningReport:
    """One reminder per open item per stage, however often it runs; units with an open
    complaint against the management are held until the complaint closes."""
    today = await plaza_today(tx.conn, plaza_id, now)
    held = await held_units(tx.conn, plaza_id)
    done = {(r.entry_id, r.stage) for r in await all_(
        tx.conn, sa.select(dunning_tasks.c.entry_id, dunning_tasks.c.stage).where(dunning_tasks.c.plaza_id == plaza_id))}
    report = DunningReport(as_of=today.isoformat(), reminders=0, escalations=0, held_units=[])
    for unit, (owed, items) in sorted((await _open_items_by_unit(tx.conn, plaza_id)).items()):
        due = domain_arrears.reminders_due(items, today, done)
        if due and unit in held:
            report.held_units.append(unit)
            continue
        for reminder in due:
            if await _remind(tx, plaza_id, unit, owed, reminder, now):
                report.reminders += 1
                report.escalations += reminder.escalate
    return report


async def _remind(tx: Tx, plaza_id: str, unit: str, owed: int, r: domain_arrears.Reminder, now: dt.datetime) -> bool:
    task_id, item = new_event_id(), r.item
    row = {"id": task_id, "plaza_id": plaza_id, "unit": unit, "entry_id": item.entry_id,
           "invoice_id": item.invoice_id, "stage": r.stage, "days_past_due": r.days_past_due,
           "open_fen": item.open_fen, "due_date": item.due_date, "created_at": now, "status": "open",
           "attempts": 0}
    if not await insert_once(tx.conn, dunning_tasks, row):
        return False
    common = dict(plaza_id=plaza_id, occurred_at=now, correlation_id=item.entry_id, actor="billing",
                  unit=unit, entry_id=item.entry_id, invoice_id=item.invoice_id,
                  days_past_due=r.days_past_due, open_fen=item.open_fen)
    await tx.emit(DunningReminderIssued(task_id=task_id, stage=r.stage, due_date=item.due_date, **common))
    if r.escalate:
        await tx.emit(ArrearsEscalated(owed_fen=owed, **common))
    return True


async def dunning_tasks_of(conn, plaza_id: str, status: str | None, unit: str | None):
    q = sa.select(dunning_tasks).where(dunning_tasks.c.plaza_id == plaza_id)
    if status:
        q = q.where(dunning_tasks.c.status == status)
    if unit:
        q = q.where(dunning_tasks.c.unit == unit)
    return await all_(conn, q.order_by(dunning_tasks.c.created_at, dunning_tasks.c.id))


async def record_outcome(tx: Tx, plaza_id: str, task_id: str, body: OutcomeCreate, *, actor: str):
    where = (dunning_tasks.c.plaza_id == plaza_id, dunning_tasks.c.id == task_id)
    task = await one(tx.conn, sa.select(dunning_tasks).where(*where))
    if task is None:
        raise NotFound(f"dunning task {task_id!r} not found in plaza {plaza_id!r}", field="task_id")
    if task.status == "done":
        raise Conflict(f"dunning task {task_id!r} already has its outcome ({task.outcome})", field="task_id")
    status = "open" if body.outcome in RETRY_OUTCOMES else "done"
    await tx.conn.execute(dunning_tasks.update().where(*where).values(
        status=status, outcome=body.outcome, note=body.note, attempts=task.attempts + 1,
        recorded_by=actor, recorded_at=utcnow()))
    return await one(tx.conn, sa.select(dunning_tasks).where(*where))


async def dunning_plazas(conn) -> list[str]:
    """Every plaza with money on its ledger: the periodic run's work list."""
    q = sa.select(store.ledger.c.plaza_id).distinct()
    return [r.plaza_id for r in await all_(conn, q)]
