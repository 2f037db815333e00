"""Queries for the reports: a month's complaints (a read of tables.work_orders)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import plain, work_orders


async def complaints_opened(conn: AsyncConnection, plaza_id: str, start, end) -> list[dict]:
    c = work_orders.c
    q = (
        sa.select(work_orders)
        .where(c.plaza_id == plaza_id, c.kind == "complaint", c.created_at >= start, c.created_at < end)
        .order_by(c.created_at)
    )
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]
