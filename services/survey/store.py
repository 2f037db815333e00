"""Survey's tables: return visits, plaza survey policies, campaigns, key-account plans, and
its own copies of archive's plazas and units.

Queries for campaigns and plans live in store_campaigns.py and store_plans.py."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.db import RETIRED_INDEXES, UtcDateTime, insert_ignore_many
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
    # A unit's visits, in the list's order (id). It was (plaza_id, unit, closed_at): the
    # columns of the partial index below, which SQLite (choosing without statistics) then
    # took for the fatigue look-up in some orders of creation, and read every visit of the
    # batch's units in the span, skipped ones included: 0.22 ms a look-up at 5,000 visits,
    # growing with each, against 0.017 ms through the partial index.
    sa.Index("ix_visits_plaza_unit_id", "plaza_id", "unit", "id"),
    # The fatigue window asks for a unit's surveyed (not skipped) closes near a new one: a
    # busy unit's skipped visits are left out of the index rather than read and dropped.
    sa.Index("ix_visits_surveyed", "plaza_id", "unit", "closed_at",
             sqlite_where=sa.text("skip_reason IS NULL"), postgresql_where=sa.text("skip_reason IS NULL")),
)
metadata.info[RETIRED_INDEXES] = ["ix_visits_plaza_unit"]

# The consumers' statements, built once: a batch binds its keys to them (IN over the
# batch's plazas and work orders or units; the few rows of other pairs are dropped here).

def _any(name: str) -> sa.BindParameter:
    return sa.bindparam(name, expanding=True)


_POLICIES = sa.select(policies).where(policies.c.plaza_id.in_(_any("plazas")))
# The closes of a batch that have their visit already (a redelivery, a re-sent close).
_VISITED = sa.select(visits.c.plaza_id, visits.c.work_order_id, visits.c.reopen_count).where(
    visits.c.plaza_id.in_(_any("plazas")), visits.c.work_order_id.in_(_any("work_orders")),
)
_SURVEYED = sa.select(visits.c.plaza_id, visits.c.unit, visits.c.work_order_id, visits.c.closed_at).where(
    visits.c.plaza_id.in_(_any("plazas")), visits.c.unit.in_(_any("units")), visits.c.skip_reason.is_(None),
    visits.c.closed_at > sa.bindparam("lo"), visits.c.closed_at < sa.bindparam("hi"),
)
VISIT_KEY = ("plaza_id", "work_order_id", "reopen_count")


def _split(keys) -> dict:
    return {"plazas": sorted({k[0] for k in keys}), "work_orders": sorted({k[1] for k in keys})}


async def visited_closes(conn: AsyncConnection, keys: set[tuple[str, str]]) -> set[tuple[str, str, int]]:
    """(plaza, work order, reopen count) of the visits these (plaza, work order) keys have."""
    if not keys:
        return set()
    return {(p, wo, n) for p, wo, n in await conn.execute(_VISITED, _split(keys)) if (p, wo) in keys}


async def get_policies(conn: AsyncConnection, plaza_ids) -> dict:
    rows = (await conn.execute(_POLICIES, {"plazas": sorted(plaza_ids)})).mappings()
    return {row["plaza_id"]: row for row in rows}


async def get_policy(conn: AsyncConnection, plaza_id: str):
    return (await get_policies(conn, [plaza_id])).get(plaza_id)


async def put_policy(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    updated = await conn.execute(policies.update().where(policies.c.plaza_id == plaza_id).values(**values))
    if updated.rowcount == 0:
        await conn.execute(policies.insert().values(plaza_id=plaza_id, **values))


async def surveyed_closes(
    conn: AsyncConnection, units: set[tuple[str, str]], lo: dt.datetime, hi: dt.datetime
) -> dict[tuple[str, str], list[tuple[str, dt.datetime]]]:
    """(work order, closed at) of the surveyed (not skipped) visits of these (plaza, unit)
    pairs that closed within (lo, hi)."""
    found: dict[tuple[str, str], list[tuple[str, dt.datetime]]] = {}
    if not units:
        return found
    params = {"plazas": sorted({p for p, _ in units}), "units": sorted({u for _, u in units}), "lo": lo, "hi": hi}
    for plaza_id, unit, work_order_id, closed_at in await conn.execute(_SURVEYED, params):
        if (plaza_id, unit) in units:
            found.setdefault((plaza_id, unit), []).append((work_order_id, closed_at))
    return found


async def add_visits(conn: AsyncConnection, rows: list[dict]) -> set[tuple]:
    """The keys (``VISIT_KEY``) of the rows inserted; a close that already has its visit
    (a replica was quicker) is left out."""
    return await insert_ignore_many(conn, visits, rows, VISIT_KEY)


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
