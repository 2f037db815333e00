"""Queries on each plaza's stock items, their movements and the adjustments waiting for a
second person (tables.stock_items, tables.stock_movements, tables.stock_adjustments)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import plain, stock_adjustments, stock_items, stock_movements


async def get_item(conn: AsyncConnection, plaza_id: str, sku: str, *, lock: bool = False) -> dict | None:
    q = sa.select(stock_items).where(stock_items.c.plaza_id == plaza_id, stock_items.c.sku == sku)
    if lock:
        q = q.with_for_update()
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def put_item(conn: AsyncConnection, plaza_id: str, sku: str, values: dict) -> None:
    where = (stock_items.c.plaza_id == plaza_id, stock_items.c.sku == sku)
    updated = await conn.execute(stock_items.update().where(*where).values(**values))
    if updated.rowcount == 0:
        await conn.execute(stock_items.insert().values(plaza_id=plaza_id, sku=sku, **values))


async def set_quantity(conn: AsyncConnection, plaza_id: str, sku: str, quantity: int, now) -> None:
    await conn.execute(
        stock_items.update()
        .where(stock_items.c.plaza_id == plaza_id, stock_items.c.sku == sku)
        .values(quantity=quantity, updated_at=now)
    )


async def list_items(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int) -> list[dict]:
    q = sa.select(stock_items).where(stock_items.c.plaza_id == plaza_id)
    if after:
        q = q.where(stock_items.c.sku > after)
    q = q.order_by(stock_items.c.sku).limit(limit)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def add_movement(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(stock_movements.insert(), row)


async def movements(conn: AsyncConnection, plaza_id: str, sku: str, *, kind: str | None, after: str | None, limit: int) -> list[dict]:
    m = stock_movements.c
    q = sa.select(stock_movements).where(m.plaza_id == plaza_id, m.sku == sku)
    if kind:
        q = q.where(m.kind == kind)
    if after:
        q = q.where(m.id > after)
    return [plain(r) for r in (await conn.execute(q.order_by(m.id).limit(limit))).mappings().all()]


async def add_adjustment(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(stock_adjustments.insert(), row)


async def get_adjustment(conn: AsyncConnection, plaza_id: str, sku: str, adjustment_id: str) -> dict | None:
    a = stock_adjustments.c
    q = sa.select(stock_adjustments).where(a.plaza_id == plaza_id, a.sku == sku, a.id == adjustment_id)
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def decide_adjustment(conn: AsyncConnection, plaza_id: str, adjustment_id: str, values: dict) -> bool:
    """False when another decision came first (the row is no longer pending)."""
    a = stock_adjustments.c
    q = (stock_adjustments.update()
         .where(a.plaza_id == plaza_id, a.id == adjustment_id, a.status == "pending").values(**values))
    return (await conn.execute(q)).rowcount == 1


async def adjustments(conn: AsyncConnection, plaza_id: str, *, status: str | None, after: str | None,
                      limit: int) -> list[dict]:
    a = stock_adjustments.c
    q = sa.select(stock_adjustments).where(a.plaza_id == plaza_id)
    if status:
        q = q.where(a.status == status)
    if after:
        q = q.where(a.id > after)
    return [plain(r) for r in (await conn.execute(q.order_by(a.id).limit(limit))).mappings().all()]
