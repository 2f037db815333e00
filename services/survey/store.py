"""Survey's tables: return visits, and its own copy of the plazas and units archive publishes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)

plazas = sa.Table(
    "plazas",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)

units = sa.Table(
    "units",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
)

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(40)),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=False),
    sa.Column("scheduled_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    sa.Column("scheduled_event_id", sa.String(40), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
    sa.Column("answered_by", sa.String(100)),
    sa.Column("rating", sa.String(24)),
    sa.Column("comment", sa.Text),
    sa.Column("channel", sa.String(16)),
    # One visit per close: a redelivered or re-sent close finds its visit already there.
    sa.UniqueConstraint("plaza_id", "work_order_id", "reopen_count", name="uq_visits_close"),
    sa.Index("ix_visits_plaza_due", "plaza_id", "answered_at", "due_at"),
    sa.Index("ix_visits_plaza_unit", "plaza_id", "unit"),
)


async def upsert_plaza(conn: AsyncConnection, plaza_id: str, name: str) -> None:
    updated = await conn.execute(
        plazas.update().where(plazas.c.plaza_id == plaza_id).values(name=name)
    )
    if updated.rowcount == 0:
        await conn.execute(plazas.insert().values(plaza_id=plaza_id, name=name))


async def upsert_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    """Keeps the newest revision; an older one arriving late changes nothing."""
    current = (
        await conn.execute(
            sa.select(units.c.revision).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
        )
    ).scalar_one_or_none()
    if current is None:
        await conn.execute(units.insert().values(plaza_id=plaza_id, unit=unit, **values))
    elif values["revision"] > current:
        await conn.execute(
            units.update().where(units.c.plaza_id == plaza_id, units.c.unit == unit).values(**values)
        )


async def add_visit(conn: AsyncConnection, row: dict) -> bool:
    """False when this close already has its visit."""
    result = await conn.execute(insert_ignore(conn, visits), row)
    return result.rowcount == 1


async def record_answer(conn: AsyncConnection, plaza_id: str, visit_id: str, values: dict) -> bool:
    """False when someone else answered first (the unanswered condition is the lock)."""
    result = await conn.execute(
        visits.update()
        .where(visits.c.plaza_id == plaza_id, visits.c.id == visit_id, visits.c.answered_at.is_(None))
        .values(**values)
    )
    return result.rowcount == 1


def _with_occupant() -> sa.Select:
    # The current occupant, not the one at scheduling time: the clerk calls whoever is there.
    joined = visits.outerjoin(
        units, sa.and_(units.c.plaza_id == visits.c.plaza_id, units.c.unit == visits.c.unit)
    )
    return sa.select(visits, units.c.occupant_name, units.c.occupant_phone).select_from(joined)


def _status_is(status: str, now: dt.datetime):
    """SQL twin of domain.visit_status, so the status filter and the shown status agree."""
    unanswered = visits.c.answered_at.is_(None)
    if status == "done":
        return visits.c.answered_at.is_not(None)
    if status == "overdue":
        return sa.and_(unanswered, visits.c.due_at < now)
    return sa.and_(unanswered, visits.c.due_at >= now)


async def get_visit(conn: AsyncConnection, plaza_id: str, visit_id: str):
    q = _with_occupant().where(visits.c.plaza_id == plaza_id, visits.c.id == visit_id)
    return (await conn.execute(q)).mappings().first()


async def list_visits(
    conn: AsyncConnection,
    plaza_id: str,
    *,
    now: dt.datetime,
    work_order_id: str | None = None,
    status: str | None = None,
    unit: str | None = None,
    department: str | None = None,
    after: str | None = None,
    limit: int = 50,
):
    q = _with_occupant().where(visits.c.plaza_id == plaza_id)
    if work_order_id:
        q = q.where(visits.c.work_order_id == work_order_id)
    if status:
        q = q.where(_status_is(status, now))
    if unit:
        q = q.where(visits.c.unit == unit)
    if department:
        q = q.where(visits.c.department == department)
    if after:
        q = q.where(visits.c.id > after)
    q = q.order_by(visits.c.id).limit(limit)
    return (await conn.execute(q)).mappings().all()


async def visit_counts(conn: AsyncConnection, plaza_id: str, *, now: dt.datetime, department: str | None = None) -> dict:
    """Scheduled, done and overdue counts and answers per rating, in one pass."""
    answered = visits.c.answered_at.is_not(None)
    overdue = _status_is("overdue", now)
    q = sa.select(
        sa.func.count().label("scheduled"),
        sa.func.sum(sa.case((answered, 1), else_=0)).label("done"),
        sa.func.sum(sa.case((overdue, 1), else_=0)).label("overdue"),
    ).where(visits.c.plaza_id == plaza_id)
    by_rating = (
        sa.select(visits.c.rating, sa.func.count())
        .where(visits.c.plaza_id == plaza_id, answered)
        .group_by(visits.c.rating)
    )
    if department:
        q = q.where(visits.c.department == department)
        by_rating = by_rating.where(visits.c.department == department)
    totals = (await conn.execute(q)).mappings().one()
    ratings = {rating: n for rating, n in (await conn.execute(by_rating)).all()}
    return {
        "scheduled": int(totals["scheduled"] or 0),
        "done": int(totals["done"] or 0),
        "overdue": int(totals["overdue"] or 0),
        "ratings": ratings,
    }
