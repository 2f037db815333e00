"""Queries on ``activity``, ``handover_notes`` and ``daily_reviews``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.reports.store import insert_absent
from services.staff.tables import activity, daily_reviews, handover_notes


async def add_activity(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_absent(conn, activity, rows)


async def activity_between(conn: AsyncConnection, plaza_id: str, start, end, username: str | None = None) -> list:
    q = sa.select(activity).where(activity.c.plaza_id == plaza_id, activity.c.occurred_at >= start,
                                  activity.c.occurred_at < end)
    if username:
        q = q.where(activity.c.username == username)
    return list((await conn.execute(q.order_by(activity.c.occurred_at))).mappings())


async def add_note(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(handover_notes.insert().values(**values))


async def notes(conn: AsyncConnection, plaza_id: str, day, username: str | None = None) -> list:
    q = sa.select(handover_notes).where(handover_notes.c.plaza_id == plaza_id, handover_notes.c.day == day)
    if username:
        q = q.where(handover_notes.c.username == username)
    return list((await conn.execute(q.order_by(handover_notes.c.written_at))).mappings())


async def reviews(conn: AsyncConnection, plaza_id: str, day, username: str | None = None) -> list:
    q = sa.select(daily_reviews).where(daily_reviews.c.plaza_id == plaza_id, daily_reviews.c.day == day)
    if username:
        q = q.where(daily_reviews.c.username == username)
    return list((await conn.execute(q)).mappings())


async def add_review(conn: AsyncConnection, values: dict) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(daily_reviews.insert().values(**values))
    except sa.exc.IntegrityError:
        return False
    return True
