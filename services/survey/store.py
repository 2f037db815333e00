"""Survey's tables: return visits, plaza survey policies, campaigns, key-account plans, and
its own copies of archive's plazas and units and of dispatch's work-order kinds.

Queries for campaigns and plans live in store_campaigns.py and store_plans.py."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)

plazas = replica.plazas_table(
    metadata,
    sa.Column("timezone", sa.String(64), nullable=False, default="Asia/Shanghai"),
)

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    sa.Column("occupant_kind", sa.String(16)),
    sa.Column("building", sa.String(64)),
)

# Dispatch's work orders as far as survey needs them: a complaint is exempt from fatigue.
work_orders = sa.Table(
    "work_orders",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
)

policies = sa.Table(
    "survey_policies",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("window_hours", sa.Integer, nullable=False),
    sa.Column("fatigue_days", sa.Integer, nullable=False),
    sa.Column("link_ttl_hours", sa.Integer, nullable=False),
    sa.Column("campaign", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100)),
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
    sa.Column("reasons", sa.JSON),
    # Set when the fatigue window spared the unit a call; such a visit is never answered.
    sa.Column("skip_reason", sa.String(32)),
    # One visit per close: a redelivered or re-sent close finds its visit already there.
    sa.UniqueConstraint("plaza_id", "work_order_id", "reopen_count", name="uq_visits_close"),
    sa.Index("ix_visits_plaza_due", "plaza_id", "answered_at", "due_at"),
    sa.Index("ix_visits_plaza_unit", "plaza_id", "unit", "closed_at"),
)

async def upsert_plaza(conn: AsyncConnection, plaza_id: str, name: str, timezone: str) -> None:
    await replica.upsert(conn, plazas, {"plaza_id": plaza_id}, {"name": name, "timezone": timezone})


async def plaza_timezone(conn: AsyncConnection, plaza_id: str) -> str | None:
    q = sa.select(plazas.c.timezone).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).scalar_one_or_none()


async def add_work_order(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(insert_ignore(conn, work_orders), row)


async def work_order_kind(conn: AsyncConnection, plaza_id: str, work_order_id: str) -> str | None:
    q = sa.select(work_orders.c.kind).where(
        work_orders.c.plaza_id == plaza_id, work_orders.c.work_order_id == work_order_id
    )
    return (await conn.execute(q)).scalar_one_or_none()


async def get_policy(conn: AsyncConnection, plaza_id: str):
    q = sa.select(policies).where(policies.c.plaza_id == plaza_id)
    return (await conn.execute(q)).mappings().first()


async def put_policy(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    updated = await conn.execute(policies.update().where(policies.c.plaza_id == plaza_id).values(**values))
    if updated.rowcount == 0:
        await conn.execute(policies.insert().values(plaza_id=plaza_id, **values))


async def upsert_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    """Keeps the newest revision; an older one arriving late changes nothing."""
    await replica.upsert_newest(conn, units, {"plaza_id": plaza_id, "unit": unit}, values)


async def last_surveyed_near(
    conn: AsyncConnection, plaza_id: str, unit: str, lo: dt.datetime, hi: dt.datetime, work_order_id: str
) -> dt.datetime | None:
    """The latest close of another surveyed (not skipped) visit of the unit within (lo, hi)."""
    q = sa.select(sa.func.max(visits.c.closed_at)).where(
        visits.c.plaza_id == plaza_id, visits.c.unit == unit, visits.c.skip_reason.is_(None),
        visits.c.closed_at > lo, visits.c.closed_at < hi, visits.c.work_order_id != work_order_id,
    )
    return (await conn.execute(q)).scalar_one_or_none()


async def skipped_visit(conn: AsyncConnection, plaza_id: str, work_order_id: str):
    q = sa.select(visits).where(
        visits.c.plaza_id == plaza_id, visits.c.work_order_id == work_order_id,
        visits.c.skip_reason.is_not(None),
    )
    return (await conn.execute(q)).mappings().all()


async def unskip_visit(conn: AsyncConnection, plaza_id: str, visit_id: str, scheduled_event_id: str) -> bool:
    result = await conn.execute(
        visits.update()
        .where(visits.c.plaza_id == plaza_id, visits.c.id == visit_id, visits.c.skip_reason.is_not(None))
        .values(skip_reason=None, scheduled_event_id=scheduled_event_id)
    )
    return result.rowcount == 1


async def add_visit(conn: AsyncConnection, row: dict) -> bool:
    """False when this close already has its visit."""
    result = await conn.execute(insert_ignore(conn, visits), row)
    return result.rowcount == 1


async def record_answer(conn: AsyncConnection, plaza_id: str, visit_id: str, values: dict) -> bool:
    """False when someone else answered first (the unanswered condition is the lock)."""
    result = await conn.execute(
        visits.update()
        .where(
            visits.c.plaza_id == plaza_id, visits.c.id == visit_id,
            visits.c.answered_at.is_(None), visits.c.skip_reason.is_(None),
        )
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
    unanswered = sa.and_(visits.c.answered_at.is_(None), visits.c.skip_reason.is_(None))
    if status == "skipped":
        return visits.c.skip_reason.is_not(None)
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


async def visit_counts(
    conn: AsyncConnection, plaza_id: str, *, now: dt.datetime, department: str | None = None,
    closed_from: dt.datetime | None = None, closed_to: dt.datetime | None = None,
) -> dict:
    """Scheduled, done, overdue and skipped counts and answers per rating. Skipped visits
    (fatigue window) are not scheduled calls, so they stay out of "scheduled" — coverage's
    denominator."""
    answered = visits.c.answered_at.is_not(None)
    overdue = _status_is("overdue", now)
    skipped = visits.c.skip_reason.is_not(None)
    q = sa.select(
        sa.func.sum(sa.case((skipped, 0), else_=1)).label("scheduled"),
        sa.func.sum(sa.case((answered, 1), else_=0)).label("done"),
        sa.func.sum(sa.case((overdue, 1), else_=0)).label("overdue"),
        sa.func.sum(sa.case((skipped, 1), else_=0)).label("skipped"),
    ).where(visits.c.plaza_id == plaza_id)
    by_rating = (
        sa.select(visits.c.rating, sa.func.count())
        .where(visits.c.plaza_id == plaza_id, answered)
        .group_by(visits.c.rating)
    )
    if department:
        q = q.where(visits.c.department == department)
        by_rating = by_rating.where(visits.c.department == department)
    if closed_from is not None:
        q = q.where(visits.c.closed_at >= closed_from, visits.c.closed_at < closed_to)
        by_rating = by_rating.where(visits.c.closed_at >= closed_from, visits.c.closed_at < closed_to)
    totals = (await conn.execute(q)).mappings().one()
    ratings = {rating: n for rating, n in (await conn.execute(by_rating)).all()}
    return {
        "scheduled": int(totals["scheduled"] or 0),
        "done": int(totals["done"] or 0),
        "overdue": int(totals["overdue"] or 0),
        "skipped": int(totals["skipped"] or 0),
        "ratings": ratings,
    }


async def ratings_by_department(conn: AsyncConnection, plaza_id: str, lo: dt.datetime, hi: dt.datetime):
    """(department, rating, count) for visits answered within [lo, hi)."""
    q = (
        sa.select(visits.c.department, visits.c.rating, sa.func.count())
        .where(visits.c.plaza_id == plaza_id, visits.c.answered_at >= lo, visits.c.answered_at < hi)
        .group_by(visits.c.department, visits.c.rating)
    )
    return (await conn.execute(q)).all()
