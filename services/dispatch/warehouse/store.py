"""Queries on the warehouse's tables (tables.goods_receipts, stock_requisitions,
stocktakes) and the stock's average cost and movements over a period."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import (
    goods_receipts, plain, stock_items, stock_movements, stock_requisitions, stocktakes,
)


async def add_receipt(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(goods_receipts.insert(), row)


async def receipt_of_document(conn: AsyncConnection, plaza_id: str, supplier: str, document_id: str) -> dict | None:
    g = goods_receipts.c
    row = (await conn.execute(sa.select(goods_receipts).where(
        g.plaza_id == plaza_id, g.supplier == supplier, g.document_id == document_id))).mappings().first()
    return plain(row) if row else None


async def receipts(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    g = goods_receipts.c
    q = sa.select(goods_receipts).where(g.plaza_id == plaza_id).order_by(g.id)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def set_average_cost(conn: AsyncConnection, plaza_id: str, sku: str, cost_fen: int) -> None:
    await conn.execute(stock_items.update().where(stock_items.c.plaza_id == plaza_id, stock_items.c.sku == sku)
                       .values(average_cost_fen=cost_fen))


async def all_items(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    q = sa.select(stock_items).where(stock_items.c.plaza_id == plaza_id).order_by(stock_items.c.sku)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def add_requisition(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(stock_requisitions.insert(), row)


async def get_requisition(conn: AsyncConnection, plaza_id: str, requisition_id: str) -> dict | None:
    r = stock_requisitions.c
    row = (await conn.execute(sa.select(stock_requisitions).where(
        r.plaza_id == plaza_id, r.id == requisition_id))).mappings().first()
    return plain(row) if row else None


async def decide_requisition(conn: AsyncConnection, plaza_id: str, requisition_id: str, values: dict) -> bool:
    r = stock_requisitions.c
    q = stock_requisitions.update().where(r.plaza_id == plaza_id, r.id == requisition_id, r.status == "pending")
    return (await conn.execute(q.values(**values))).rowcount == 1


async def requisitions(conn: AsyncConnection, plaza_id: str, status: str | None) -> list[dict]:
    r = stock_requisitions.c
    q = sa.select(stock_requisitions).where(r.plaza_id == plaza_id)
    if status:
        q = q.where(r.status == status)
    return [plain(x) for x in (await conn.execute(q.order_by(r.id))).mappings().all()]


async def add_stocktake(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(stocktakes.insert(), row)


async def get_stocktake(conn: AsyncConnection, plaza_id: str, stocktake_id: str, *, lock: bool = False) -> dict | None:
    s = stocktakes.c
    q = sa.select(stocktakes).where(s.plaza_id == plaza_id, s.id == stocktake_id)
    if lock:
        q = q.with_for_update()
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def update_stocktake(conn: AsyncConnection, plaza_id: str, stocktake_id: str, was: str, values: dict) -> bool:
    """Only from the status it was read in: a change racing another changes nothing (False)."""
    s = stocktakes.c
    q = stocktakes.update().where(s.plaza_id == plaza_id, s.id == stocktake_id, s.status == was)
    return (await conn.execute(q.values(**values))).rowcount == 1


async def movements_between(conn: AsyncConnection, plaza_id: str, start: dt.datetime | None,
                            end: dt.datetime | None) -> list[dict]:
    m = stock_movements.c
    q = sa.select(stock_movements).where(m.plaza_id == plaza_id)
    if start:
        q = q.where(m.occurred_at >= start)
    if end:
        q = q.where(m.occurred_at < end)
    return [plain(r) for r in (await conn.execute(q.order_by(m.occurred_at, m.id))).mappings().all()]
