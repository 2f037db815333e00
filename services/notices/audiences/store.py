"""Queries on notices' copies of the other services' facts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notices.tables import dues, permits, units, work_orders


async def plaza_units(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    q = sa.select(units).where(units.c.plaza_id == plaza_id).order_by(units.c.unit)
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def plaza_dues(conn: AsyncConnection, plaza_id: str) -> list:
    q = sa.select(dues).where(dues.c.plaza_id == plaza_id)
    return list((await conn.execute(q)).mappings())


async def renovating_units(conn: AsyncConnection, plaza_id: str) -> set[str]:
    q = sa.select(permits.c.unit).where(permits.c.plaza_id == plaza_id, permits.c.closed.is_(False))
    return set((await conn.execute(q)).scalars())


async def work_order_units(conn: AsyncConnection, plaza_id: str, work_order_id: str | None) -> set[str]:
    if not work_order_id:
        return set()
    q = sa.select(work_orders.c.unit).where(work_orders.c.plaza_id == plaza_id,
                                            work_orders.c.work_order_id == work_order_id)
    return set((await conn.execute(q)).scalars())
