"""Notices' copies of the facts the other services publish, kept from their events: archive's
plazas and units (with building and floor), billing's dues and credits (how long a unit's
debt is overdue), intake's renovation permits (open or closed), dispatch's work orders (the
unit each is about). An audience is chosen over these, never by asking another service."""

from __future__ import annotations

import datetime as dt

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
