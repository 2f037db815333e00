"""Queries for the reports: a month's complaints and the deadlines they were given (reads
of tables.work_orders and tables.deadlines)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import deadlines, plain, work_orders


async def complaints_opened(conn: AsyncConnection, plaza_id: str, start, end) -> list[dict]:
    c = work_orders.c
    q = (
        sa.select(work_orders)
        .where(c.plaza_id == plaza_id, c.kind == "complaint", c.created_at >= start, c.created_at < end)
        .order_by(c.created_at)
    )
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def deadlines_of(conn: AsyncConnection, plaza_id: str, work_order_ids: list[str]) -> list[dict]:
    """Every deadline of these work orders, every round, in one query."""
    if not work_order_ids:
        return []
    d = deadlines.c
    q = (
        sa.select(deadlines)
        .where(d.plaza_id == plaza_id, d.work_order_id.in_(work_order_ids))
        .order_by(d.work_order_id, d.round, d.due_at)
    )
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]
