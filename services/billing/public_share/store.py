"""Queries on the public-share costs, runs and lines (tables.public_share_*)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.billing.tables import insert_once, public_share_costs, public_share_lines, public_share_runs


async def add_cost(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(public_share_costs.insert(), row)


async def costs_of(conn: AsyncConnection, plaza_id: str, period: str):
    q = (sa.select(public_share_costs)
         .where(public_share_costs.c.plaza_id == plaza_id, public_share_costs.c.period == period)
         .order_by(public_share_costs.c.entered_at, public_share_costs.c.id))
    return (await conn.execute(q)).mappings().all()


async def add_run_once(conn: AsyncConnection, row: dict) -> bool:
    """False when the period was charged already."""
    return await insert_once(conn, public_share_runs, row)


async def run_of(conn: AsyncConnection, plaza_id: str, period: str):
    q = sa.select(public_share_runs).where(public_share_runs.c.plaza_id == plaza_id,
                                           public_share_runs.c.period == period)
    return (await conn.execute(q)).mappings().first()


async def add_lines(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(public_share_lines.insert(), rows)


async def lines_of(conn: AsyncConnection, plaza_id: str, period: str):
    q = (sa.select(public_share_lines)
         .where(public_share_lines.c.plaza_id == plaza_id, public_share_lines.c.period == period)
         .order_by(public_share_lines.c.unit))
    return (await conn.execute(q)).mappings().all()
