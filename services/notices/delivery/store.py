"""Queries on the messages handed to the SMS/WeChat/e-mail providers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore_rows
from services.notices.tables import messages


async def add_messages(conn: AsyncConnection, rows: list[dict]) -> None:
    await insert_ignore_rows(conn, messages, rows)


async def due_messages(conn: AsyncConnection, now: dt.datetime, limit: int):
    q = (sa.select(messages).where(messages.c.status == "pending", messages.c.next_attempt_at <= now)
         .order_by(messages.c.next_attempt_at).limit(limit))
    return (await conn.execute(q)).mappings().all()


async def update_message(conn: AsyncConnection, message_id: str, values: dict) -> None:
    await conn.execute(messages.update().where(messages.c.id == message_id).values(**values))


async def notice_messages(conn: AsyncConnection, plaza_id: str, notice_id: str):
    q = sa.select(messages).where(messages.c.plaza_id == plaza_id, messages.c.notice_id == notice_id)
    return (await conn.execute(q.order_by(messages.c.unit, messages.c.channel))).mappings().all()
