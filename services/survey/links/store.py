"""The survey links that have answered (tables.survey_link_answers)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.survey.tables import survey_link_answers


async def mark_answered(conn: AsyncConnection, row: dict) -> bool:
    """False when the link had answered already (a replay, or two answers at once)."""
    return (await conn.execute(insert_ignore(conn, survey_link_answers), row)).rowcount == 1


async def has_answered(conn: AsyncConnection, link_id: str) -> bool:
    q = sa.select(survey_link_answers.c.link_id).where(survey_link_answers.c.link_id == link_id)
    return (await conn.execute(q)).first() is not None
