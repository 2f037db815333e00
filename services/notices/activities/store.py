"""Queries on activities and their sign-ups."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.notices.tables import activities, signups


async def add(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(activities.insert(), row)


async def get(conn: AsyncConnection, plaza_id: str, activity_id: str):
    q = sa.select(activities).where(activities.c.plaza_id == plaza_id, activities.c.id == activity_id)
    return (await conn.execute(q)).mappings().first()


async def between(conn: AsyncConnection, plaza_id: str, start: dt.datetime, end: dt.datetime):
    q = (sa.select(activities)
         .where(activities.c.plaza_id == plaza_id, activities.c.starts_at >= start, activities.c.starts_at < end)
         .order_by(activities.c.starts_at, activities.c.id))
    return (await conn.execute(q)).mappings().all()


async def update(conn: AsyncConnection, plaza_id: str, activity_id: str, expected: tuple[str, ...], values: dict) -> bool:
    result = await conn.execute(activities.update().where(
        activities.c.plaza_id == plaza_id, activities.c.id == activity_id,
        activities.c.status.in_(expected)).values(**values))
    return result.rowcount == 1


async def take_seat(conn: AsyncConnection, plaza_id: str, activity_id: str) -> bool:
    """One seat, if one is left (one statement: two sign-ups cannot take the last seat)."""
    result = await conn.execute(activities.update().where(
        activities.c.plaza_id == plaza_id, activities.c.id == activity_id,
        activities.c.signed_up < activities.c.capacity).values(signed_up=activities.c.signed_up + 1))
    return result.rowcount == 1


async def add_signup(conn: AsyncConnection, row: dict) -> bool:
    """False when the unit has signed up already."""
    return (await conn.execute(insert_ignore(conn, signups), row)).rowcount == 1


async def signups_of(conn: AsyncConnection, plaza_id: str, activity_id: str):
    q = (sa.select(signups).where(signups.c.plaza_id == plaza_id, signups.c.activity_id == activity_id)
         .order_by(signups.c.signed_at, signups.c.unit))
    return (await conn.execute(q)).mappings().all()


async def mark_attendance(conn: AsyncConnection, plaza_id: str, activity_id: str, units: list[str],
                          attended: bool) -> int:
    result = await conn.execute(signups.update().where(
        signups.c.plaza_id == plaza_id, signups.c.activity_id == activity_id,
        signups.c.unit.in_(units)).values(attended=attended))
    return result.rowcount
