"""Queries on renovation permits (tables.permits): what billing knows of each permit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.billing.tables import permits, upsert


async def save_permit(conn: AsyncConnection, plaza_id: str, permit_id: str, values: dict) -> None:
    await upsert(conn, permits, {"plaza_id": plaza_id, "permit_id": permit_id}, values)


async def permit_of(conn: AsyncConnection, plaza_id: str, permit_id: str):
    q = permits.select().where(permits.c.plaza_id == plaza_id, permits.c.permit_id == permit_id)
    return (await conn.execute(q)).first()
