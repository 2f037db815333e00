"""Stock tables: each plaza's stock items and every movement of them (the audit trail:
setting a level, issuing to a work order, a stocktaking adjustment with its reason)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime
from services.dispatch.store import _plain, metadata

stock_items = sa.Table(
    "stock_items",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_price_fen", sa.BigInteger, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("low_level", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # set | issue | adjustment
    sa.Column("delta", sa.Integer, nullable=False),
    sa.Column("quantity_after", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("work_order_id", sa.String(40)),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_stock_movements_sku", "plaza_id", "sku", "id"),
)


async def get_item(conn: AsyncConnection, plaza_id: str, sku: str, *, lock: bool = False) -> dict | None:
    q = sa.select(stock_items).where(stock_items.c.plaza_id == plaza_id, stock_items.c.sku == sku)
    if lock:
        q = q.with_for_update()
    row = (await conn.execute(q)).mappings().first()
    return _plain(row) if row else None


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
    return [_plain(r) for r in (await conn.execute(q)).mappings().all()]


async def add_movement(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(stock_movements.insert(), row)


async def movements(conn: AsyncConnection, plaza_id: str, sku: str, *, kind: str | None, after: str | None, limit: int) -> list[dict]:
    m = stock_movements.c
    q = sa.select(stock_movements).where(m.plaza_id == plaza_id, m.sku == sku)
    if kind:
        q = q.where(m.kind == kind)
    if after:
        q = q.where(m.id > after)
    return [_plain(r) for r in (await conn.execute(q.order_by(m.id).limit(limit))).mappings().all()]
