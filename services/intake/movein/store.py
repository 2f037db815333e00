"""Queries of move-in season: handover days and appointments, inspections with their
defects, renovation permits."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.intake.tables import handover_appointments, handover_days, handover_defects, renovations, units


async def book_slot(conn: AsyncConnection, plaza_id: str, day: dt.date, limit: int) -> bool:
    await conn.execute(insert_ignore(conn, handover_days).values(plaza_id=plaza_id, day=day, booked=0))
    t = handover_days
    raised = await conn.execute(
        t.update()
        .where(t.c.plaza_id == plaza_id, t.c.day == day, t.c.booked < limit)
        .values(booked=t.c.booked + 1)
    )
    return raised.rowcount == 1


async def free_slot(conn: AsyncConnection, plaza_id: str, day: dt.date) -> None:
    t = handover_days
    await conn.execute(
        t.update().where(t.c.plaza_id == plaza_id, t.c.day == day, t.c.booked > 0).values(booked=t.c.booked - 1)
    )


async def booked_on(conn: AsyncConnection, plaza_id: str, day: dt.date) -> int:
    t = handover_days
    q = sa.select(t.c.booked).where(t.c.plaza_id == plaza_id, t.c.day == day)
    return (await conn.execute(q)).scalar_one_or_none() or 0


async def lock_unit(conn: AsyncConnection, plaza_id: str, unit: str) -> None:
    """Holds intake's copy of the unit until the transaction ends, so that two bookings (or
    two renovation applications) of one unit take turns and the second sees the first's
    appointment or permit (PostgreSQL; SQLite's one writer runs transactions in turn
    already). A unit not registered: nothing to hold."""
    if conn.dialect.name == "postgresql":
        q = sa.select(units.c.unit).where(units.c.plaza_id == plaza_id, units.c.unit == unit).with_for_update()
        await conn.execute(q)


async def active_appointment(conn: AsyncConnection, plaza_id: str, unit: str):
    t = handover_appointments
    q = sa.select(t).where(t.c.plaza_id == plaza_id, t.c.unit == unit, t.c.status == "booked")
    return (await conn.execute(q)).mappings().first()


async def renovation_in(conn: AsyncConnection, plaza_id: str, unit: str, statuses: frozenset[str]):
    """The unit's oldest permit in one of ``statuses`` (id and status), or None."""
    t = renovations
    q = (
        sa.select(t.c.id, t.c.status)
        .where(t.c.plaza_id == plaza_id, t.c.unit == unit, t.c.status.in_(sorted(statuses)))
        .order_by(t.c.applied_at, t.c.id)
        .limit(1)
    )
    return (await conn.execute(q)).mappings().first()


async def add(conn: AsyncConnection, table: sa.Table, rows: dict | list[dict]) -> None:
    if rows:
        await conn.execute(table.insert(), rows if isinstance(rows, list) else [rows])


async def get(conn: AsyncConnection, table: sa.Table, plaza_id: str, row_id: str, *, lock: bool = False):
    q = sa.select(table).where(table.c.plaza_id == plaza_id, table.c.id == row_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()  # two clerks stepping the same permit: one waits
    return (await conn.execute(q)).mappings().first()


async def update(conn: AsyncConnection, table: sa.Table, plaza_id: str, row_id: str, **values) -> None:
    await conn.execute(table.update().where(table.c.plaza_id == plaza_id, table.c.id == row_id).values(**values))


async def defects_of(conn: AsyncConnection, plaza_id: str, inspection_id: str):
    t = handover_defects
    q = sa.select(t).where(t.c.plaza_id == plaza_id, t.c.inspection_id == inspection_id).order_by(t.c.position)
    return (await conn.execute(q)).mappings().all()


async def listing(conn: AsyncConnection, table: sa.Table, plaza_id: str, *, after: str | None, limit: int, **filters):
    q = sa.select(table).where(table.c.plaza_id == plaza_id)
    for name, value in filters.items():
        if value is not None:
            q = q.where(table.c[name] == value)
    if after:
        q = q.where(table.c.id > after)
    return (await conn.execute(q.order_by(table.c.id).limit(limit))).mappings().all()
