"""Queries on the campaigns, the units each drew, and their answers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.survey.tables import campaign_answers, campaign_sample, campaigns, units


async def sampling_frame(conn: AsyncConnection, plaza_id: str):
    """Every unit with an occupant kind: the population a campaign samples from."""
    q = (
        sa.select(units.c.unit, units.c.building, units.c.occupant_kind)
        .where(units.c.plaza_id == plaza_id, units.c.occupant_kind.is_not(None))
        .order_by(units.c.unit)
    )
    return (await conn.execute(q)).mappings().all()


async def add_campaign(conn: AsyncConnection, row: dict, sample: list[dict]) -> None:
    await conn.execute(campaigns.insert(), row)
    if sample:
        await conn.execute(campaign_sample.insert(), sample)


async def get_campaign(conn: AsyncConnection, plaza_id: str, campaign_id: str):
    q = sa.select(campaigns).where(campaigns.c.plaza_id == plaza_id, campaigns.c.id == campaign_id)
    return (await conn.execute(q)).mappings().first()


async def list_campaigns(conn: AsyncConnection, plaza_id: str, *, month: str | None, after: str | None, limit: int):
    q = sa.select(campaigns).where(campaigns.c.plaza_id == plaza_id)
    if month:
        q = q.where(campaigns.c.month == month)
    if after:
        q = q.where(campaigns.c.id > after)
    return (await conn.execute(q.order_by(campaigns.c.id).limit(limit))).mappings().all()


async def close_campaign(conn: AsyncConnection, plaza_id: str, campaign_id: str, at) -> bool:
    result = await conn.execute(
        campaigns.update()
        .where(campaigns.c.plaza_id == plaza_id, campaigns.c.id == campaign_id, campaigns.c.status == "open")
        .values(status="closed", closed_at=at)
    )
    return result.rowcount == 1


def _sample_of(plaza_id: str, campaign_id: str):
    return (campaign_sample.c.plaza_id == plaza_id, campaign_sample.c.campaign_id == campaign_id)


async def sample_member(conn: AsyncConnection, plaza_id: str, campaign_id: str, unit: str):
    q = sa.select(campaign_sample).where(*_sample_of(plaza_id, campaign_id), campaign_sample.c.unit == unit)
    return (await conn.execute(q)).mappings().first()


async def list_sample(conn: AsyncConnection, plaza_id: str, campaign_id: str, *, answered: bool | None, after: str | None, limit: int):
    q = sa.select(campaign_sample).where(*_sample_of(plaza_id, campaign_id))
    if answered is not None:
        q = q.where(campaign_sample.c.answered_at.is_not(None) if answered else campaign_sample.c.answered_at.is_(None))
    if after:
        q = q.where(campaign_sample.c.unit > after)
    return (await conn.execute(q.order_by(campaign_sample.c.unit).limit(limit))).mappings().all()


async def strata_counts(conn: AsyncConnection, plaza_id: str, campaign_id: str):
    """(building, occupant kind, drawn, answered) per stratum."""
    answered = sa.func.sum(sa.case((campaign_sample.c.answered_at.is_not(None), 1), else_=0))
    q = (
        sa.select(campaign_sample.c.building, campaign_sample.c.occupant_kind, sa.func.count(), answered)
        .where(*_sample_of(plaza_id, campaign_id))
        .group_by(campaign_sample.c.building, campaign_sample.c.occupant_kind)
        .order_by(campaign_sample.c.building, campaign_sample.c.occupant_kind)
    )
    return (await conn.execute(q)).all()


async def record_response(conn: AsyncConnection, plaza_id: str, campaign_id: str, unit: str, values: dict, answers: list[dict]) -> bool:
    """False when the unit has answered already (the unanswered condition is the lock)."""
    result = await conn.execute(
        campaign_sample.update()
        .where(*_sample_of(plaza_id, campaign_id), campaign_sample.c.unit == unit, campaign_sample.c.answered_at.is_(None))
        .values(**values)
    )
    if result.rowcount != 1:
        return False
    await conn.execute(campaign_answers.insert(), answers)
    return True


async def answer_counts(conn: AsyncConnection, plaza_id: str, *, campaign_id: str | None = None, months: tuple[str, str] | None = None):
    """(month, dimension, department, level, count) over one campaign or a range of months."""
    a, c = campaign_answers, campaigns
    q = (
        sa.select(c.c.month, a.c.dimension, a.c.department, a.c.level, sa.func.count())
        .select_from(a.join(c, sa.and_(c.c.plaza_id == a.c.plaza_id, c.c.id == a.c.campaign_id)))
        .where(a.c.plaza_id == plaza_id)
        .group_by(c.c.month, a.c.dimension, a.c.department, a.c.level)
    )
    if campaign_id:
        q = q.where(a.c.campaign_id == campaign_id)
    if months:
        q = q.where(c.c.month >= months[0], c.c.month <= months[1])
    return (await conn.execute(q)).all()
