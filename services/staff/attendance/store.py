"""Queries on ``attendance``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import attendance


async def add(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(attendance.insert().values(**values))


async def open_record(conn: AsyncConnection, plaza_id: str, username: str):
    """The person's clock-in not yet clocked out, if any."""
    q = sa.select(attendance).where(attendance.c.plaza_id == plaza_id, attendance.c.username == username,
                                    attendance.c.clocked_out_at.is_(None))
    return (await conn.execute(q.order_by(attendance.c.clocked_in_at.desc()))).mappings().first()


async def of_shift(conn: AsyncConnection, shift_id: str):
    q = sa.select(attendance).where(attendance.c.shift_id == shift_id)
    return (await conn.execute(q.order_by(attendance.c.clocked_in_at))).mappings().first()


async def of_shifts(conn: AsyncConnection, shift_ids: list[str]) -> dict[str, dict]:
    if not shift_ids:
        return {}
    q = sa.select(attendance).where(attendance.c.shift_id.in_(shift_ids)).order_by(attendance.c.clocked_in_at)
    found: dict[str, dict] = {}
    for r in (await conn.execute(q)).mappings():
        found.setdefault(r["shift_id"], dict(r))
    return found


async def clock_out(conn: AsyncConnection, attendance_id: str, at) -> None:
    await conn.execute(attendance.update().where(attendance.c.attendance_id == attendance_id)
                       .values(clocked_out_at=at))
