"""Queries on the return visits (table ``visits``), with the unit's current occupant from
survey's copy of archive's units."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore_many
from services.survey.tables import CALLED, request_contacts, units, visits

# The consumers' statements, built once: a batch binds its keys to them (IN over the
# batch's plazas and work orders or units; the few rows of other pairs are dropped here).

def _any(name: str) -> sa.BindParameter:
    return sa.bindparam(name, expanding=True)


# The closes of a batch that have their visit already (a redelivery, a re-sent close).
_VISITED = sa.select(visits.c.plaza_id, visits.c.work_order_id, visits.c.reopen_count).where(
    visits.c.plaza_id.in_(_any("plazas")), visits.c.work_order_id.in_(_any("work_orders")),
)
_CALLED = sa.select(visits.c.plaza_id, visits.c.unit, visits.c.work_order_id, visits.c.closed_at).where(
    visits.c.plaza_id.in_(_any("plazas")), visits.c.unit.in_(_any("units")), sa.text(CALLED),
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


async def called_closes(
    conn: AsyncConnection, units: set[tuple[str, str]], lo: dt.datetime, hi: dt.datetime
) -> dict[tuple[str, str], list[tuple[str, dt.datetime]]]:
    """(work order, closed at) of the visits by call (``tables.CALLED``) of these (plaza,
    unit) pairs that closed within (lo, hi)."""
    found: dict[tuple[str, str], list[tuple[str, dt.datetime]]] = {}
    if not units:
        return found
    params = {"plazas": sorted({p for p, _ in units}), "units": sorted({u for _, u in units}), "lo": lo, "hi": hi}
    for plaza_id, unit, work_order_id, closed_at in await conn.execute(_CALLED, params):
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
    # A job about a public area, or for a caller who is no occupant (unit ""), is followed up
    # with whoever asked for it: the contact their request gave.
    contact = request_contacts.c
    joined = visits.outerjoin(
        units, sa.and_(units.c.plaza_id == visits.c.plaza_id, units.c.unit == visits.c.unit)
    ).outerjoin(
        request_contacts, sa.and_(visits.c.unit == "", contact.plaza_id == visits.c.plaza_id,
                                  contact.request_id == visits.c.request_id)
    )
    return sa.select(
        visits,
        sa.func.coalesce(units.c.occupant_name, contact.name).label("occupant_name"),
        sa.func.coalesce(units.c.occupant_phone, contact.phone).label("occupant_phone"),
        contact.area,
    ).select_from(joined)


async def record_contacts(conn: AsyncConnection, rows: list[dict]) -> None:
    """The contact of each request that names no unit, kept once."""
    await insert_ignore_many(conn, request_contacts, rows, ("plaza_id", "request_id"))


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
    (an older release's fatigue window) are not visits owed, so they stay out of
    "scheduled" — coverage's denominator; lighter-touch (online) visits are owed."""
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
