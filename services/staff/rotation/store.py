"""Queries on ``rotation_plans``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import plazas, rotation_plans


async def plaza_ids(conn: AsyncConnection) -> list[str]:
    return [r.plaza_id for r in await conn.execute(sa.select(plazas.c.plaza_id).order_by(plazas.c.plaza_id))]


async def add(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(rotation_plans.insert().values(**values))


async def get(conn: AsyncConnection, plaza_id: str, plan_id: str, *, lock: bool = False):
    q = sa.select(rotation_plans).where(rotation_plans.c.plaza_id == plaza_id, rotation_plans.c.plan_id == plan_id)
    if lock:
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def all_of(conn: AsyncConnection, plaza_id: str) -> list:
    q = sa.select(rotation_plans).where(rotation_plans.c.plaza_id == plaza_id)
    return list((await conn.execute(q.order_by(rotation_plans.c.drafted_at.desc()))).mappings())


async def update(conn: AsyncConnection, plan_id: str, values: dict) -> None:
    await conn.execute(rotation_plans.update().where(rotation_plans.c.plan_id == plan_id).values(**values))
