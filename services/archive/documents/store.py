"""Queries of the documents filed on units."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.archive.tables import documents


# --- documents ---------------------------------------------------------------------------


async def add_document(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(documents.insert(), row)


async def get_document(conn: AsyncConnection, plaza_id: str, unit: str, document_id: str):
    d = documents
    q = sa.select(d).where(d.c.plaza_id == plaza_id, d.c.unit == unit, d.c.document_id == document_id)
    return (await conn.execute(q)).mappings().first()


async def list_documents(conn: AsyncConnection, plaza_id: str, unit: str, *, after: str | None, limit: int):
    d = documents
    q = sa.select(d).where(d.c.plaza_id == plaza_id, d.c.unit == unit)
    if after:
        q = q.where(d.c.document_id > after)
    return (await conn.execute(q.order_by(d.c.document_id).limit(limit))).mappings().all()
