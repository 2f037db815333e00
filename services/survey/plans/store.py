"""Queries on the key-account plans and their planned visits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.survey.tables import plan_visits, plans, plazas, units


async def key_accounts(conn: AsyncConnection, plaza_id: str) -> list[str]:
    q = sa.select(units.c.unit).where(units.c.plaza_id == plaza_id, units.c.key_account.is_(True))
    return list((await conn.execute(q)).scalars())


async def add_plan(conn: AsyncConnection, row: dict, items: list[dict]) -> bool:
    """False when the plaza already has a plan for that month."""
    result = await conn.execute(insert_ignore(conn, plans), row)
    if result.rowcount != 1:
        return False
    if items:
        await conn.execute(plan_visits.insert(), items)
    return True


async def get_plan(conn: AsyncConnection, plaza_id: str, plan_id: str):
    q = sa.select(plans).where(plans.c.plaza_id == plaza_id, plans.c.id == plan_id)
    return (await conn.execute(q)).mappings().first()


async def list_plans(conn: AsyncConnection, plaza_id: str, *, month: str | None, after: str | None, limit: int):
    q = sa.select(plans).where(plans.c.plaza_id == plaza_id)
    if month:
        q = q.where(plans.c.month == month)
    if after:
        q = q.where(plans.c.id > after)
    return (await conn.execute(q.order_by(plans.c.id).limit(limit))).mappings().all()


async def update_plan(conn: AsyncConnection, plaza_id: str, plan_id: str, expected_status: str, values: dict) -> bool:
    result = await conn.execute(
        plans.update()
        .where(plans.c.plaza_id == plaza_id, plans.c.id == plan_id, plans.c.status == expected_status)
        .values(**values)
    )
    return result.rowcount == 1


async def plan_items(conn: AsyncConnection, plaza_id: str, plan_id: str):
    occupant = units.c.occupant_name
    q = (
        sa.select(plan_visits, occupant, units.c.occupant_phone)
        .select_from(plan_visits.outerjoin(units, sa.and_(units.c.plaza_id == plan_visits.c.plaza_id, units.c.unit == plan_visits.c.unit)))
        .where(plan_visits.c.plaza_id == plaza_id, plan_visits.c.plan_id == plan_id)
        .order_by(plan_visits.c.planned_on, plan_visits.c.unit)
    )
    return (await conn.execute(q)).mappings().all()


async def plan_item(conn: AsyncConnection, plaza_id: str, plan_id: str, unit: str):
    q = sa.select(plan_visits).where(
        plan_visits.c.plaza_id == plaza_id, plan_visits.c.plan_id == plan_id, plan_visits.c.unit == unit
    )
    return (await conn.execute(q)).mappings().first()


async def record_outcome(conn: AsyncConnection, plaza_id: str, plan_id: str, unit: str, values: dict) -> bool:
    result = await conn.execute(
        plan_visits.update()
        .where(
            plan_visits.c.plaza_id == plaza_id, plan_visits.c.plan_id == plan_id,
            plan_visits.c.unit == unit, plan_visits.c.outcome.is_(None),
        )
        .values(**values)
    )
    return result.rowcount == 1


async def plazas_with_key_accounts(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(plaza, timezone) for every plaza with at least one key-account unit."""
    q = (
        sa.select(plazas.c.plaza_id, plazas.c.timezone)
        .where(sa.exists().where(units.c.plaza_id == plazas.c.plaza_id, units.c.key_account.is_(True)))
        .order_by(plazas.c.plaza_id)
    )
    return [(p, tz) for p, tz in (await conn.execute(q)).all()]
