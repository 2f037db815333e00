"""Queries on staff's projections of requests, work orders and return visits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import calls, visit_ratings, work_order_requests


async def insert_absent(conn: AsyncConnection, table: sa.Table, rows: list[dict]) -> None:
    """Rows whose key is there already are left as they are (a replayed stream)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


async def add_calls(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_absent(conn, calls, rows)


async def add_work_orders(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_absent(conn, work_order_requests, rows)


async def add_ratings(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_absent(conn, visit_ratings, rows)


async def requests_between(conn: AsyncConnection, plaza_id: str, start, end) -> list:
    q = sa.select(calls).where(calls.c.plaza_id == plaza_id, calls.c.received_at >= start, calls.c.received_at < end)
    return list((await conn.execute(q)).mappings())


async def ratings_of(conn: AsyncConnection, plaza_id: str, start, end) -> list:
    """(clerk, rating) of the visits that followed the requests received in [start, end)."""
    q = (sa.select(calls.c.received_by, visit_ratings.c.rating)
         .join(work_order_requests, work_order_requests.c.request_id == calls.c.request_id)
         .join(visit_ratings, visit_ratings.c.work_order_id == work_order_requests.c.work_order_id)
         .where(calls.c.plaza_id == plaza_id, calls.c.received_at >= start, calls.c.received_at < end,
                calls.c.received_by.is_not(None)))
    return [(r.received_by, r.rating) for r in await conn.execute(q)]
