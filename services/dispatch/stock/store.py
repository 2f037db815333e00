"""Queries on each plaza's stock items and their movements (tables.stock_items,
tables.stock_movements)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import plain, stock_items, stock_movements

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
