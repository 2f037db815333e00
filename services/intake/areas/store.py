"""Queries of a plaza's list of public areas."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.intake.tables import public_areas


async def get_areas(conn: AsyncConnection, plaza_id: str):
    q = sa.select(public_areas).where(public_areas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).mappings().first()


async def put_areas(conn: AsyncConnection, plaza_id: str, items: bytes, by: str, at) -> None:
    t = public_areas
    values = {"items": items, "updated_by": by, "updated_at": at}
    inserted = await conn.execute(insert_ignore(conn, t).values(plaza_id=plaza_id, **values))
    if inserted.rowcount == 0:
        await conn.execute(t.update().where(t.c.plaza_id == plaza_id).values(**values))
