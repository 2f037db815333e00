"""Queries of the projections archive keeps of other services' events: renovation permits
and handover defects (the tables are in store.py, on its metadata)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.archive.store import PROJECTIONS, defect_work_orders, defects, permits


# --- projections -------------------------------------------------------------------------


async def clear_projections(conn: AsyncConnection, plaza_id: str | None) -> None:
    for table in PROJECTIONS:
        q = table.delete()
        await conn.execute(q if plaza_id is None else q.where(table.c.plaza_id == plaza_id))


async def upsert_permit(conn: AsyncConnection, plaza_id: str, permit_id: str, unit: str, values: dict) -> None:
    """Approval and closing may arrive in either order; each fills in its own columns."""
    await conn.execute(insert_ignore(conn, permits).values(plaza_id=plaza_id, permit_id=permit_id, unit=unit, **values))
    await conn.execute(permits.update().where(permits.c.plaza_id == plaza_id, permits.c.permit_id == permit_id)
                       .values(**{k: v for k, v in values.items() if k != "status"}))


async def close_permit(conn: AsyncConnection, plaza_id: str, permit_id: str) -> None:
    await conn.execute(permits.update().where(permits.c.plaza_id == plaza_id, permits.c.permit_id == permit_id)
                       .values(status="closed"))


async def list_permits(conn: AsyncConnection, plaza_id: str, unit: str):
    p = permits
    q = sa.select(p).where(p.c.plaza_id == plaza_id, p.c.unit == unit).order_by(p.c.valid_from, p.c.permit_id)
    return (await conn.execute(q)).mappings().all()


async def add_defects(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, defects), rows)


async def is_defect(conn: AsyncConnection, plaza_id: str, defect_id: str) -> bool:
    q = sa.select(defects.c.defect_id).where(defects.c.plaza_id == plaza_id, defects.c.defect_id == defect_id)
    return (await conn.execute(q)).first() is not None


async def mark_defect_work(conn: AsyncConnection, plaza_id: str, work_order_id: str, defect_id: str,
                           *, closed: bool | None, step: int, at: dt.datetime) -> None:
    """``closed=None``: the work order exists (created). A state only replaces one of an
    earlier ``step``, so a closing that arrives after the reopening does not undo it."""
    w = defect_work_orders
    await conn.execute(insert_ignore(conn, w).values(plaza_id=plaza_id, work_order_id=work_order_id,
                                                     defect_id=defect_id, closed=bool(closed), step=step, changed_at=at))
    if closed is not None:
        await conn.execute(w.update().where(w.c.plaza_id == plaza_id, w.c.work_order_id == work_order_id, w.c.step < step)
                           .values(closed=closed, step=step, changed_at=at))


async def outstanding_defects(conn: AsyncConnection, plaza_id: str, unit: str):
    """Defects none of whose work orders is closed (a reopened order opens it again)."""
    d, w = defects, defect_work_orders
    fixed = sa.exists().where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id, w.c.closed.is_(True))
    orders = (sa.select(sa.func.max(w.c.work_order_id)).where(w.c.plaza_id == d.c.plaza_id, w.c.defect_id == d.c.defect_id)
              .scalar_subquery().label("work_order_id"))
    q = (sa.select(d, orders).where(d.c.plaza_id == plaza_id, d.c.unit == unit, ~fixed)
         .order_by(d.c.found_at, d.c.defect_id))
    return (await conn.execute(q)).mappings().all()
