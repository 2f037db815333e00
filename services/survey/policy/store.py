"""Queries on the plaza survey policies (table ``survey_policies``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.survey.tables import policies

# Built once: a batch of closes binds its plazas to it.
_POLICIES = sa.select(policies).where(policies.c.plaza_id.in_(sa.bindparam("plazas", expanding=True)))


async def get_policies(conn: AsyncConnection, plaza_ids) -> dict:
    rows = (await conn.execute(_POLICIES, {"plazas": sorted(plaza_ids)})).mappings()
    return {row["plaza_id"]: row for row in rows}


async def get_policy(conn: AsyncConnection, plaza_id: str):
    return (await get_policies(conn, [plaza_id])).get(plaza_id)


async def put_policy(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    updated = await conn.execute(policies.update().where(policies.c.plaza_id == plaza_id).values(**values))
    if updated.rowcount == 0:
        await conn.execute(policies.insert().values(plaza_id=plaza_id, **values))
