"""A person's own settings (the language they chose)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.console.tables import preferences


async def language_of(conn: AsyncConnection, username: str) -> str | None:
    q = sa.select(preferences.c.language).where(preferences.c.username == username)
    return (await conn.execute(q)).scalar_one_or_none()


async def set_language(conn: AsyncConnection, username: str, language: str) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    changed = await conn.execute(sa.update(preferences).where(preferences.c.username == username)
                                 .values(language=language, updated_at=now))
    if not changed.rowcount:
        await conn.execute(sa.insert(preferences).values(username=username, language=language, updated_at=now))
