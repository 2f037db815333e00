"""Queries on praise and suggestions (tables.praise, tables.suggestions)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.dispatch.tables import plain, praise, suggestions


async def add_praise(conn: AsyncConnection, rows: list[dict]) -> None:
    """Praise already recorded for its request is skipped."""
    if rows:
        await conn.execute(insert_ignore(conn, praise), rows)


async def add_suggestions(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, suggestions), rows)


async def list_praise(conn: AsyncConnection, plaza_id: str, *, department: str | None, after: str | None, limit: int):
    q = sa.select(praise).where(praise.c.plaza_id == plaza_id)
    if department:
        q = q.where(praise.c.department == department)
    if after:
        q = q.where(praise.c.request_id > after)
    return [plain(r) for r in (await conn.execute(q.order_by(praise.c.request_id).limit(limit))).mappings().all()]


async def list_suggestions(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int):
    q = sa.select(suggestions).where(suggestions.c.plaza_id == plaza_id)
    if after:
        q = q.where(suggestions.c.request_id > after)
    q = q.order_by(suggestions.c.request_id).limit(limit)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]
