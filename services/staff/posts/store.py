"""Queries on ``posts`` and ``post_history``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import post_history, posts


async def own_posts(conn: AsyncConnection, plaza_id: str) -> list:
    return list((await conn.execute(sa.select(posts).where(posts.c.plaza_id == plaza_id))).mappings())


async def put_post(conn: AsyncConnection, values: dict) -> None:
    key = (posts.c.plaza_id == values["plaza_id"], posts.c.post == values["post"])
    if (await conn.execute(posts.update().where(*key).values(**values))).rowcount == 0:
        await conn.execute(posts.insert().values(**values))


async def close_history(conn: AsyncConnection, plaza_id: str, username: str, now) -> None:
    await conn.execute(post_history.update().where(
        post_history.c.plaza_id == plaza_id, post_history.c.username == username,
        post_history.c.to_at.is_(None)).values(to_at=now))


async def add_history(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(post_history.insert().values(**values))


async def history(conn: AsyncConnection, plaza_id: str, username: str | None = None) -> list:
    q = sa.select(post_history).where(post_history.c.plaza_id == plaza_id)
    if username:
        q = q.where(post_history.c.username == username)
    return list((await conn.execute(q.order_by(post_history.c.from_at))).mappings())
