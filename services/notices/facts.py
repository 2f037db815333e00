"""Notices' copies of the facts the other services publish, kept from their events: archive's
plazas and units (with building and floor), billing's dues and credits (how long a unit's
debt is overdue), intake's renovation permits (open or closed), dispatch's work orders (the
unit each is about). An audience is chosen over these, never by asking another service."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from libs.contracts.events import (
    ChargePosted,
    EntryCorrected,
    InvoiceIssued,
    PaymentReceived,
    PublicShareCharged,
    RefundIssued,
    RenovationApproved,
    RenovationClosed,
    UnitRegistered,
    WorkOrderCreated,
)
from libs.runtime import replica
from libs.runtime.db import insert_ignore_rows
from libs.runtime.uow import Tx
from services.notices import tables

# A work-order charge falls due this long after the job closed (billing's terms).
CHARGE_TERMS_DAYS = 15


async def record_archive_facts(tx: Tx, events: list) -> None:
    await replica.keep_archive_facts(tx.conn, tables.plazas, tables.units, events, unit_extra=_unit_extra)


async def require_known_facts(tx: Tx, events: list) -> None:
    await replica.require_known(tx.conn, tables.plazas, tables.units, events)


def _unit_extra(event: UnitRegistered) -> dict:
    return {"building": event.building, "floor": event.floor}


async def record_billing_facts(tx: Tx, events: list) -> None:
    """Each entry that moves what a unit owes, once (billing's entry id is its key)."""
    zones = await replica.plaza_zones(tx.conn, tables.plazas, {e.plaza_id for e in events})
    rows = [row for e in events if (row := due_row(e, zones[e.plaza_id])) is not None]
    if rows:
        await insert_ignore_rows(tx.conn, tables.dues, rows)


def due_row(e, zone: dt.tzinfo) -> dict | None:
    base = {"plaza_id": e.plaza_id, "unit": e.unit, "entry_id": e.entry_id, "occurred_at": e.occurred_at,
            "amount_fen": getattr(e, "amount_fen", 0), "due_date": None, "reverses_entry_id": None}
    if isinstance(e, ChargePosted):
        due = e.occurred_at.astimezone(zone).date() + dt.timedelta(days=CHARGE_TERMS_DAYS)
        return base | {"direction": 1, "due_date": due}
    if isinstance(e, PublicShareCharged):
        return base | {"direction": 1, "due_date": e.due_date}
    if isinstance(e, InvoiceIssued):
        return base | {"direction": 1, "due_date": e.due_date}
    if isinstance(e, RefundIssued):
        return base | {"direction": 1}
    if isinstance(e, PaymentReceived):
        return base | {"direction": -1}
    if isinstance(e, EntryCorrected):
        return base | {"direction": 0, "reverses_entry_id": e.reverses_entry_id}
    return None


async def record_permits(tx: Tx, events: list) -> None:
    for e in events:
        if isinstance(e, RenovationApproved):
            await insert_ignore_rows(tx.conn, tables.permits, [
                {"plaza_id": e.plaza_id, "permit_id": e.permit_id, "unit": e.unit, "closed": False}])
        elif isinstance(e, RenovationClosed):
            await insert_ignore_rows(tx.conn, tables.permits, [
                {"plaza_id": e.plaza_id, "permit_id": e.permit_id, "unit": e.unit, "closed": True}])
            await tx.conn.execute(tables.permits.update().where(
                tables.permits.c.plaza_id == e.plaza_id, tables.permits.c.permit_id == e.permit_id).values(closed=True))


async def record_work_orders(tx: Tx, events: list) -> None:
    rows = [{"plaza_id": e.plaza_id, "work_order_id": e.work_order_id, "unit": e.unit}
            for e in events if isinstance(e, WorkOrderCreated) and e.unit]
    if rows:
        await insert_ignore_rows(tx.conn, tables.work_orders, rows)


# --- complaints that hold dunning (billing's rule) -----------------------------------------------


def complaint_step(reopen_count: int, *, closed: bool) -> int:
    return 2 * reopen_count + (1 if closed else 0)


async def record_complaints(tx: Tx, events: list, *, closed: bool) -> None:
    """A complaint work order's latest step (a late or repeated event never undoes a later
    one); a close or cancel of any job ends the desk's correction of its request."""
    for e in events:
        if getattr(e, "kind", None) == "complaint" and e.unit:
            step = complaint_step(e.reopen_count, closed=closed)
            row = {"plaza_id": e.plaza_id, "work_order_id": e.work_order_id, "unit": e.unit,
                   "request_id": e.request_id, "step": step}
            await insert_ignore_rows(tx.conn, tables.complaints, [row])
            await tx.conn.execute(tables.complaints.update().where(
                tables.complaints.c.plaza_id == e.plaza_id, tables.complaints.c.work_order_id == e.work_order_id,
                tables.complaints.c.step < step).values(step=step))
        if closed:
            await tx.conn.execute(tables.reclassified_requests.update().where(
                tables.reclassified_requests.c.plaza_id == e.plaza_id,
                tables.reclassified_requests.c.request_id == e.request_id).values(ended=True))


async def record_corrections(tx: Tx, events: list) -> None:
    """The desk made a request a complaint (holds) or took the complaint away (lifts it)."""
    t = tables.reclassified_requests
    for e in events:
        if "complaint" not in (e.kind, e.previous_kind) or not e.unit:
            continue
        row = {"plaza_id": e.plaza_id, "request_id": e.request_id, "unit": e.unit, "complaint": e.kind == "complaint",
               "ended": False, "reclassified_at": e.occurred_at}
        await insert_ignore_rows(tx.conn, t, [row])
        await tx.conn.execute(t.update().where(
            t.c.plaza_id == e.plaza_id, t.c.request_id == e.request_id, t.c.reclassified_at < e.occurred_at
        ).values(complaint=row["complaint"], unit=e.unit, reclassified_at=e.occurred_at))


async def held_units(conn, plaza_id: str) -> set[str]:
    """Units with a complaint open: an open complaint work order whose request the desk has
    not taken the complaint from, or a request the desk made a complaint, not yet ended."""
    c, r = tables.complaints, tables.reclassified_requests
    lifted = sa.select(r.c.request_id).where(r.c.plaza_id == plaza_id, r.c.complaint.is_(False))
    q1 = sa.select(c.c.unit).where(c.c.plaza_id == plaza_id, c.c.step % 2 == 0,
                                   sa.or_(c.c.request_id.is_(None), c.c.request_id.not_in(lifted)))
    q2 = sa.select(r.c.unit).where(r.c.plaza_id == plaza_id, r.c.complaint.is_(True), r.c.ended.is_(False))
    return set((await conn.execute(q1)).scalars()) | set((await conn.execute(q2)).scalars())
