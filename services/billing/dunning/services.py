"""Arrears ageing and dunning (催缴) use cases; complaints that hold dunning; the
periodic dunning run over every plaza."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace
from typing import Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import ArrearsEscalated, DunningReminderIssued, RequestReclassified
from libs.runtime import limits
from libs.runtime.errors import Conflict, NotFound
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.dunning import domain
from services.billing.dunning import store
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import store as ledger_store

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


def now() -> dt.datetime:
    """The clock of periodic work; tests swap it with monkeypatch."""
    return utcnow()


async def follow_complaints(tx: Tx, events: list, *, closed: bool) -> None:
    """Work orders created or reopened (``closed=False``), closed or cancelled: the
    complaints among them (the event's own kind says; None, from an older producer, is an
    ordinary job) hold their unit's dunning while open. A reopened complaint (second
    dispatch) holds it again until it closes again."""
    complaints = [e for e in events if e.kind == "complaint"]
    rows = domain.latest_steps(
        (e.plaza_id, e.unit, e.work_order_id, domain.complaint_step(e.reopen_count, closed=closed))
        for e in complaints)
    if rows:
        requests = {(e.plaza_id, e.work_order_id): e.request_id for e in complaints}
        await store.move_complaints(tx.conn, [
            {**row, "complaint": True, "request_id": requests[row["plaza_id"], row["work_order_id"]]} for row in rows])
    if closed:
        # Whatever the job's kind: a request the desk made a complaint holds only until then.
        ended = defaultdict(set)
        for e in events:
            ended[e.plaza_id].add(e.request_id)
        for plaza_id, request_ids in ended.items():
            await store.end_corrected(tx.conn, plaza_id, request_ids)


async def follow_corrections(tx: Tx, events: list[RequestReclassified]) -> None:
    """The desk corrected requests' kinds: one made a complaint holds its unit's dunning as
    any open complaint does; one turned away from a complaint lifts that hold (the unit's
    other complaints still hold it)."""
    rows = domain.latest_corrections(
        domain.correction_row(plaza_id=e.plaza_id, request_id=e.request_id, unit=e.unit, kind=e.kind,
                              previous_kind=e.previous_kind, at=e.occurred_at)
        for e in events)
    if rows:
        await store.record_corrections(tx.conn, rows)


async def held_units(conn, plaza_id: str) -> set[str]:
    """Units with a complaint open against the management: their dunning waits."""
    return await store.held_units(conn, plaza_id)


async def plaza_today(conn, plaza_id: str, now: dt.datetime) -> dt.date:
    """The plaza's own calendar day at ``now``: days past due are counted in local days."""
    return ledger_domain.local_date(now, await facts.plaza_zone(conn, plaza_id))


async def _open_items_by_unit(conn, plaza_id: str) -> dict[str, tuple[int, list]]:
    zone = await facts.plaza_zone(conn, plaza_id)
    by_unit: dict[str, list] = defaultdict(list)
    for e in await ledger_store.plaza_entries(conn, plaza_id):
        by_unit[e.unit].append(e)
    return {u: (ledger_domain.owed_fen(es), ledger_domain.open_items(es, zone)) for u, es in by_unit.items()}


async def arrears(conn, plaza_id: str, today: dt.date) -> tuple[dict[str, int], list[UnitArrears]]:
    held = await held_units(conn, plaza_id)
    units, totals = [], dict.fromkeys(domain.BUCKET_NAMES, 0)
    for unit, (owed, items) in sorted((await _open_items_by_unit(conn, plaza_id)).items()):
        buckets = domain.ageing(items, today)
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
    done = await store.reminded(tx.conn, plaza_id)
    report = DunningReport(as_of=today.isoformat(), reminders=0, escalations=0, held_units=[])
    for unit, (owed, items) in sorted((await _open_items_by_unit(tx.conn, plaza_id)).items()):
        due = domain.reminders_due(items, today, done)
        if due and unit in held:
            report.held_units.append(unit)
            continue
        for reminder in due:
            if await _remind(tx, plaza_id, unit, owed, reminder, now):
                report.reminders += 1
                report.escalations += reminder.escalate
    return report


async def _remind(tx: Tx, plaza_id: str, unit: str, owed: int, r: domain.Reminder, now: dt.datetime) -> bool:
    task_id, item = new_event_id(), r.item
    row = {"id": task_id, "plaza_id": plaza_id, "unit": unit, "entry_id": item.entry_id,
           "invoice_id": item.invoice_id, "stage": r.stage, "days_past_due": r.days_past_due,
           "open_fen": item.open_fen, "due_date": item.due_date, "created_at": now, "status": "open",
           "attempts": 0}
    if not await store.add_task_once(tx.conn, row):
        return False
    common = dict(plaza_id=plaza_id, occurred_at=now, correlation_id=item.entry_id, actor="billing",
                  unit=unit, entry_id=item.entry_id, invoice_id=item.invoice_id,
                  days_past_due=r.days_past_due, open_fen=item.open_fen)
    await tx.emit(DunningReminderIssued(task_id=task_id, stage=r.stage, due_date=item.due_date, **common))
    if r.escalate:
        await tx.emit(ArrearsEscalated(owed_fen=owed, **common))
    return True


async def dunning_tasks_of(conn, plaza_id: str, status: str | None, unit: str | None):
    return await store.tasks_of(conn, plaza_id, status, unit)


async def record_outcome(tx: Tx, plaza_id: str, task_id: str, body: OutcomeCreate, *, actor: str):
    task = await store.task(tx.conn, plaza_id, task_id)
    if task is None:
        raise NotFound(f"dunning task {task_id!r} not found in plaza {plaza_id!r}", field="task_id")
    if task.status == "done":
        raise Conflict(f"dunning task {task_id!r} already has its outcome ({task.outcome})", field="task_id")
    values = dict(status="open" if body.outcome in RETRY_OUTCOMES else "done", outcome=body.outcome,
                  note=body.note, attempts=task.attempts + 1, recorded_by=actor, recorded_at=utcnow())
    await store.update_task(tx.conn, plaza_id, task_id, values)
    # The task as it now stands, for the answer, without reading it back.
    return SimpleNamespace(**{**task._asdict(), **values})


async def run_dunning_everywhere(runtime) -> None:
    """The periodic dunning run over every plaza with money on its ledger: one
    transaction per plaza, each idempotent."""
    async with runtime.read() as conn:
        plazas = await ledger_store.ledger_plazas(conn)
    for plaza_id in plazas:
        async with runtime.transaction() as tx:
            await run_dunning(tx, plaza_id, now())
