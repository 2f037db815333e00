"""Queries on the notices, their recipients and the messages to the providers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore, insert_ignore_rows
from services.notices.tables import notices, plazas, recipients


async def add_notice(conn: AsyncConnection, row: dict) -> bool:
    """False when a notice of the same source (another service's request) is there already."""
    result = await conn.execute(insert_ignore(conn, notices), row)
    return result.rowcount == 1


async def get_notice(conn: AsyncConnection, plaza_id: str, notice_id: str):
    q = sa.select(notices).where(notices.c.plaza_id == plaza_id, notices.c.id == notice_id)
    return (await conn.execute(q)).mappings().first()


async def notice_of_source(conn: AsyncConnection, plaza_id: str, source: str):
    q = sa.select(notices).where(notices.c.plaza_id == plaza_id, notices.c.source == source)
    return (await conn.execute(q)).mappings().first()


async def list_notices(conn: AsyncConnection, plaza_id: str, *, status: str | None, kind: str | None,
                       after: str | None, limit: int):
    q = sa.select(notices).where(notices.c.plaza_id == plaza_id)
    if status:
        q = q.where(notices.c.status == status)
    if kind:
        q = q.where(notices.c.kind == kind)
    if after:
        q = q.where(notices.c.id < after)
    return (await conn.execute(q.order_by(notices.c.id.desc()).limit(limit))).mappings().all()


async def update_notice(conn: AsyncConnection, plaza_id: str, notice_id: str, expected: tuple[str, ...],
                        values: dict) -> bool:
    result = await conn.execute(notices.update().where(
        notices.c.plaza_id == plaza_id, notices.c.id == notice_id, notices.c.status.in_(expected)).values(**values))
    return result.rowcount == 1


async def add_recipients(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_ignore_rows(conn, recipients, rows)


async def read_counts(conn: AsyncConnection, plaza_id: str, notice_id: str) -> tuple[int, int]:
    q = sa.select(sa.func.count(), sa.func.count(recipients.c.read_at)).where(
        recipients.c.plaza_id == plaza_id, recipients.c.notice_id == notice_id)
    total, read = (await conn.execute(q)).one()
    return total, read


async def read_counts_of(conn: AsyncConnection, plaza_id: str, notice_ids: list[str]) -> dict[str, int]:
    """How many recipients read each notice, for a page of notices in one query."""
    if not notice_ids:
        return {}
    q = (sa.select(recipients.c.notice_id, sa.func.count(recipients.c.read_at))
         .where(recipients.c.plaza_id == plaza_id, recipients.c.notice_id.in_(notice_ids))
         .group_by(recipients.c.notice_id))
    return {notice_id: read for notice_id, read in await conn.execute(q)}


async def list_recipients(conn: AsyncConnection, plaza_id: str, notice_id: str, *, read: bool | None):
    q = sa.select(recipients).where(recipients.c.plaza_id == plaza_id, recipients.c.notice_id == notice_id)
    if read is True:
        q = q.where(recipients.c.read_at.is_not(None))
    elif read is False:
        q = q.where(recipients.c.read_at.is_(None))
    return (await conn.execute(q.order_by(recipients.c.unit))).mappings().all()


async def get_recipient(conn: AsyncConnection, plaza_id: str, notice_id: str, unit: str):
    q = sa.select(recipients).where(recipients.c.plaza_id == plaza_id, recipients.c.notice_id == notice_id,
                                    recipients.c.unit == unit)
    return (await conn.execute(q)).mappings().first()


async def mark_read(conn: AsyncConnection, plaza_id: str, notice_id: str, unit: str, at: dt.datetime, via: str) -> bool:
    """True the first time only."""
    result = await conn.execute(recipients.update().where(
        recipients.c.plaza_id == plaza_id, recipients.c.notice_id == notice_id, recipients.c.unit == unit,
        recipients.c.read_at.is_(None)).values(read_at=at, read_via=via))
    return result.rowcount == 1


async def unit_notices(conn: AsyncConnection, plaza_id: str, unit: str, limit: int):
    q = (sa.select(recipients, notices.c.kind, notices.c.urgent)
         .select_from(recipients.join(notices, sa.and_(notices.c.plaza_id == recipients.c.plaza_id,
                                                       notices.c.id == recipients.c.notice_id)))
         .where(recipients.c.plaza_id == plaza_id, recipients.c.unit == unit)
         .order_by(recipients.c.delivered_at.desc(), recipients.c.notice_id.desc()).limit(limit))
    return (await conn.execute(q)).mappings().all()


async def plaza(conn: AsyncConnection, plaza_id: str):
    q = sa.select(plazas).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).mappings().first()
