"""Queries of the unit register: plazas, units and their revisions, and what the unit's
page shows of the projections (renovation permits, outstanding handover defects)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.archive.tables import defect_work_orders, defects, permits, plazas, unit_revisions, units


# --- plazas ----------------------------------------------------------------------------


async def get_plaza(conn: AsyncConnection, plaza_id: str, *, for_update: bool = False):
    q = sa.select(plazas).where(plazas.c.plaza_id == plaza_id)
    if for_update and conn.dialect.name == "postgresql":
        # Held by whoever edits the plaza or creates units in it (see lock_plaza); SQLite's
        # single writer already serialises them.
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def lock_plaza(conn: AsyncConnection, plaza_id: str) -> None:
    """A unit that does not exist yet has no row to lock: everyone who creates units in a
    plaza (a first PUT, an import) takes the plaza's row lock first, so two of them never
    both decide a unit is new and race to insert it."""
    await get_plaza(conn, plaza_id, for_update=True)


async def add_plaza(conn: AsyncConnection, row: dict) -> bool:
    """False when the plaza is already there: another first PUT of it committed meanwhile
    (on PostgreSQL this waits for that transaction, then skips)."""
    result = await conn.execute(insert_ignore(conn, plazas), row)
    return result.rowcount == 1


async def update_plaza(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    await conn.execute(plazas.update().where(plazas.c.plaza_id == plaza_id).values(**values))


async def list_plazas(conn: AsyncConnection, *, after: str | None, limit: int):
    q = sa.select(plazas)
    if after:
        q = q.where(plazas.c.plaza_id > after)
    return (await conn.execute(q.order_by(plazas.c.plaza_id).limit(limit))).mappings().all()


# --- units -----------------------------------------------------------------------------


def _unit_key(plaza_id: str, unit: str):
    return (units.c.plaza_id == plaza_id, units.c.unit == unit)


async def get_unit(conn: AsyncConnection, plaza_id: str, unit: str, *, for_update: bool = False):
    q = sa.select(units).where(*_unit_key(plaza_id, unit))
    if for_update and conn.dialect.name == "postgresql":
        # Two clerks editing one unit at once must not both take the next revision.
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def add_unit(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(units.insert(), row)


async def update_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    await conn.execute(units.update().where(*_unit_key(plaza_id, unit)).values(**values))


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` literally (``%`` and ``_`` typed by a clerk are not wildcards)."""
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_units(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int, q: str | None = None):
    """``q`` finds a unit as the desk is asked for it: the start of its number, or part of
    its occupant's name or phone, whatever the letter case."""
    query = sa.select(units).where(units.c.plaza_id == plaza_id)
    if q:
        pattern = _like(q)
        query = query.where(sa.or_(
            sa.func.lower(units.c.unit).like(pattern + "%", escape="\\"),
            sa.func.lower(units.c.occupant_name).like("%" + pattern + "%", escape="\\"),
            sa.func.lower(units.c.occupant_phone).like("%" + pattern + "%", escape="\\"),
        ))
    if after:
        query = query.where(units.c.unit > after)
    return (await conn.execute(query.order_by(units.c.unit).limit(limit))).mappings().all()


async def all_units(conn: AsyncConnection, plaza_id: str, *, for_update: bool = False):
    q = sa.select(units).where(units.c.plaza_id == plaza_id).order_by(units.c.unit)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().all()


async def add_units(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(units.insert(), rows)


async def update_units(conn: AsyncConnection, plaza_id: str, rows: list[dict]) -> None:
    """One statement for many units; each row names its unit as ``key_unit``."""
    if rows:
        q = units.update().where(units.c.plaza_id == plaza_id, units.c.unit == sa.bindparam("key_unit"))
        await conn.execute(q, rows)


async def add_revision(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(unit_revisions.insert(), row)


async def add_revisions(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(unit_revisions.insert(), rows)


async def revision_of_event(conn: AsyncConnection, plaza_id: str, event_id: str):
    r = unit_revisions
    q = sa.select(r).where(r.c.plaza_id == plaza_id, r.c.event_id == event_id)
    return (await conn.execute(q)).mappings().first()


async def list_revisions(conn: AsyncConnection, plaza_id: str, unit: str, *, after: int | None, limit: int):
    r = unit_revisions
    q = sa.select(r).where(r.c.plaza_id == plaza_id, r.c.unit == unit)
    if after is not None:
        q = q.where(r.c.revision > after)
    return (await conn.execute(q.order_by(r.c.revision).limit(limit))).mappings().all()


# --- what the unit's page shows of the projections ----------------------------------


async def list_permits(conn: AsyncConnection, plaza_id: str, unit: str):
    p = permits
    q = sa.select(p).where(p.c.plaza_id == plaza_id, p.c.unit == unit).order_by(p.c.valid_from, p.c.permit_id)
    return (await conn.execute(q)).mappings().all()


async def outstanding_defects(conn: AsyncConnection, plaza_id: str, unit: str):
    """Defects none of whose work orders is closed (a reopened order opens it again)."""
    d, w = defects, defect_work_orders
    fixed = sa.exists().where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id, w.c.closed.is_(True))
    orders = (sa.select(sa.func.max(w.c.work_order_id)).where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id)
              .scalar_subquery().label("work_order_id"))
    q = (sa.select(d, orders).where(d.c.plaza_id == plaza_id, d.c.unit == unit, ~fixed)
         .order_by(d.c.found_at, d.c.defect_id))
    return (await conn.execute(q)).mappings().all()
