"""Queries on ``training_sessions`` and ``training_results``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import training_results, training_sessions


async def add_session(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(training_sessions.insert().values(**values))


async def session(conn: AsyncConnection, plaza_id: str, session_id: str):
    q = sa.select(training_sessions).where(training_sessions.c.plaza_id == plaza_id,
                                           training_sessions.c.session_id == session_id)
    return (await conn.execute(q)).mappings().first()


async def sessions(conn: AsyncConnection, plaza_id: str, course: str | None = None) -> list:
    q = sa.select(training_sessions).where(training_sessions.c.plaza_id == plaza_id)
    if course:
        q = q.where(training_sessions.c.course == course)
    return list((await conn.execute(q.order_by(training_sessions.c.starts_at))).mappings())


async def put_result(conn: AsyncConnection, values: dict) -> None:
    key = (training_results.c.session_id == values["session_id"], training_results.c.username == values["username"])
    if (await conn.execute(training_results.update().where(*key).values(**values))).rowcount == 0:
        await conn.execute(training_results.insert().values(**values))


async def results(conn: AsyncConnection, plaza_id: str, *, session_id: str | None = None,
                  username: str | None = None) -> list:
    q = sa.select(training_results).where(training_results.c.plaza_id == plaza_id)
    if session_id:
        q = q.where(training_results.c.session_id == session_id)
    if username:
        q = q.where(training_results.c.username == username)
    return list((await conn.execute(q.order_by(training_results.c.username))).mappings())


async def passed_courses(conn: AsyncConnection, plaza_id: str, usernames: list[str] | None = None) -> dict[str, set[str]]:
    q = sa.select(training_results.c.username, training_results.c.course).where(
        training_results.c.plaza_id == plaza_id, training_results.c.passed.is_(True))
    if usernames is not None:
        q = q.where(training_results.c.username.in_(usernames))
    found: dict[str, set[str]] = {}
    for r in await conn.execute(q):
        found.setdefault(r.username, set()).add(r.course)
    return found
