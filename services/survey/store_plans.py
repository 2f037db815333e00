"""Key-account plan tables and queries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore
from services.survey.store import metadata, plazas, units

plans = sa.Table(
    "key_account_plans",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("approved_at", UtcDateTime()),
    sa.Column("approved_by", sa.String(100)),
    sa.Column("completed_at", UtcDateTime()),
    sa.UniqueConstraint("plaza_id", "month", name="uq_key_account_plans_month"),
)

plan_visits = sa.Table(
    "key_account_plan_visits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("plan_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("planned_on", sa.Date, nullable=False),
    sa.Column("outcome", sa.String(16)),
    sa.Column("rating", sa.String(24)),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", UtcDateTime()),
    sa.Column("recorded_by", sa.String(100)),
)




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
