"""Queries on ``shifts``, ``shift_swaps`` and ``opening_hours``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import opening_hours, shift_swaps, shifts


async def add_shift(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(shifts.insert().values(**values))


async def shift(conn: AsyncConnection, plaza_id: str, shift_id: str):
    q = sa.select(shifts).where(shifts.c.plaza_id == plaza_id, shifts.c.shift_id == shift_id)
    return (await conn.execute(q)).mappings().first()


async def update_shift(conn: AsyncConnection, shift_id: str, values: dict) -> None:
    await conn.execute(shifts.update().where(shifts.c.shift_id == shift_id).values(**values))


async def planned(conn: AsyncConnection, plaza_id: str, start, end, *, username: str | None = None,
                  posts: list[str] | None = None) -> list:
    """Planned shifts overlapping [start, end)."""
    q = sa.select(shifts).where(shifts.c.plaza_id == plaza_id, shifts.c.status == "planned",
                                shifts.c.starts_at < end, shifts.c.ends_at > start)
    if username:
        q = q.where(shifts.c.username == username)
    if posts is not None:
        q = q.where(shifts.c.post.in_(posts))
    return list((await conn.execute(q.order_by(shifts.c.starts_at, shifts.c.username))).mappings())


async def add_swap(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(shift_swaps.insert().values(**values))


async def swap(conn: AsyncConnection, plaza_id: str, swap_id: str):
    q = sa.select(shift_swaps).where(shift_swaps.c.plaza_id == plaza_id, shift_swaps.c.swap_id == swap_id)
    return (await conn.execute(q)).mappings().first()


async def swaps(conn: AsyncConnection, plaza_id: str, status: str | None) -> list:
    q = sa.select(shift_swaps).where(shift_swaps.c.plaza_id == plaza_id)
    if status:
        q = q.where(shift_swaps.c.status == status)
    return list((await conn.execute(q.order_by(shift_swaps.c.requested_at))).mappings())


async def update_swap(conn: AsyncConnection, swap_id: str, values: dict) -> None:
    await conn.execute(shift_swaps.update().where(shift_swaps.c.swap_id == swap_id).values(**values))


async def hours(conn: AsyncConnection, plaza_id: str):
    q = sa.select(opening_hours).where(opening_hours.c.plaza_id == plaza_id)
    return (await conn.execute(q)).mappings().first()


async def put_hours(conn: AsyncConnection, values: dict) -> None:
    key = opening_hours.c.plaza_id == values["plaza_id"]
    if (await conn.execute(opening_hours.update().where(key).values(**values))).rowcount == 0:
        await conn.execute(opening_hours.insert().values(**values))
