"""Queries of the projections archive keeps of other services' events: renovation permits
and handover defects (the tables are in store.py, on its metadata)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore, insert_ignore_many
from services.archive.store import PROJECTIONS, defect_work_orders, defects, permits

# Built once (one cache key each); a batch runs an update with one parameter set per row,
# which names the row it updates as ``k_*``.
_DEFECTS_AMONG = sa.select(defects.c.plaza_id, defects.c.defect_id).where(
    defects.c.plaza_id.in_(sa.bindparam("plazas", expanding=True)),
    defects.c.defect_id.in_(sa.bindparam("ids", expanding=True)),
)
_DEFECT_WORK_AMONG = sa.select(defect_work_orders.c.plaza_id, defect_work_orders.c.work_order_id).where(
    defect_work_orders.c.plaza_id.in_(sa.bindparam("plazas", expanding=True)),
    defect_work_orders.c.work_order_id.in_(sa.bindparam("ids", expanding=True)),
)
_PERMIT = (permits.c.plaza_id == sa.bindparam("k_plaza_id"), permits.c.permit_id == sa.bindparam("k_permit_id"))
# The columns set are the other keys of each row: an approval's, or a closing's.
_APPROVE_PERMIT = permits.update().where(*_PERMIT)
_CLOSE_PERMIT = permits.update().where(*_PERMIT).values(status="closed")
_w = defect_work_orders
_ADVANCE_DEFECT_WORK = _w.update().where(
    _w.c.plaza_id == sa.bindparam("k_plaza_id"), _w.c.work_order_id == sa.bindparam("k_work_order_id"),
    _w.c.step < sa.bindparam("new_step"),
).values(closed=sa.bindparam("new_closed"), step=sa.bindparam("new_step"), changed_at=sa.bindparam("new_changed_at"))


# --- projections -------------------------------------------------------------------------


async def clear_projections(conn: AsyncConnection, plaza_id: str | None) -> None:
    for table in PROJECTIONS:
        q = table.delete()
        await conn.execute(q if plaza_id is None else q.where(table.c.plaza_id == plaza_id))


async def list_permits(conn: AsyncConnection, plaza_id: str, unit: str):
    p = permits
    q = sa.select(p).where(p.c.plaza_id == plaza_id, p.c.unit == unit).order_by(p.c.valid_from, p.c.permit_id)
    return (await conn.execute(q)).mappings().all()


async def add_defects(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, defects), rows)


async def existing_defects(conn: AsyncConnection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (plaza, defect id) are stored: one query for a whole batch."""
    return await _existing(conn, _DEFECTS_AMONG, keys)


async def existing_defect_work(conn: AsyncConnection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (plaza, work order id) are kept as warranty orders."""
    return await _existing(conn, _DEFECT_WORK_AMONG, keys)


async def _existing(conn: AsyncConnection, query, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    params = {"plazas": sorted({p for p, _ in keys}), "ids": sorted({k for _, k in keys})}
    return {tuple(r) for r in await conn.execute(query, params)} & keys


async def add_permits(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """The (plaza, permit id) of the rows that were new; a permit already there is kept."""
    return await insert_ignore_many(conn, permits, rows, ("plaza_id", "permit_id"))


async def update_permit_approvals(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(_APPROVE_PERMIT, rows)


async def update_permit_closings(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(_CLOSE_PERMIT, rows)


async def add_defect_work(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """The (plaza, work order id) of the rows that were new; an order already there is kept."""
    return await insert_ignore_many(conn, defect_work_orders, rows, ("plaza_id", "work_order_id"))


async def advance_defect_work(conn: AsyncConnection, rows: list[dict]) -> None:
    """A state only replaces one of an earlier ``step``, so a closing that arrives after
    the reopening does not undo it (``domain_projections.advance``, for stored rows)."""
    if rows:
        await conn.execute(_ADVANCE_DEFECT_WORK, rows)


async def outstanding_defects(conn: AsyncConnection, plaza_id: str, unit: str):
    """Defects none of whose work orders is closed (a reopened order opens it again)."""
    d, w = defects, defect_work_orders
    fixed = sa.exists().where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id, w.c.closed.is_(True))
    orders = (sa.select(sa.func.max(w.c.work_order_id)).where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id)
              .scalar_subquery().label("work_order_id"))
    q = (sa.select(d, orders).where(d.c.plaza_id == plaza_id, d.c.unit == unit, ~fixed)
         .order_by(d.c.found_at, d.c.defect_id))
    return (await conn.execute(q)).mappings().all()
