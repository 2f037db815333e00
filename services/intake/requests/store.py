"""Queries of requests and of the plaza's rule documents."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore, insert_ignore_many
from services.intake.tables import plaza_rules, request_corrections, requests


async def add_request(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(requests.insert(), row)


async def add_requests_if_absent(conn: AsyncConnection, rows: list[dict]) -> None:
    """Rows from intake's stream: a request stored with its event already has one."""
    await insert_ignore_many(conn, requests, rows, ["id"])


async def get_request(conn: AsyncConnection, plaza_id: str, request_id: str, *, lock: bool = False):
    q = sa.select(requests).where(requests.c.plaza_id == plaza_id, requests.c.id == request_id)
    if lock:  # two corrections at once: the second reads what the first made of it
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def list_corrections(conn: AsyncConnection, plaza_id: str, request_id: str):
    t = request_corrections
    q = sa.select(t).where(t.c.plaza_id == plaza_id, t.c.request_id == request_id).order_by(t.c.id)
    return (await conn.execute(q)).mappings().all()


async def list_requests(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int, **filters):
    """Oldest first by id (time-ordered); ``filters``: column=value, plus since/until."""
    c = requests.c
    q = sa.select(requests).where(c.plaza_id == plaza_id)
    since, until = filters.pop("since", None), filters.pop("until", None)
    for name, value in filters.items():
        if value is not None:
            q = q.where(c[name] == value)
    if since is not None:
        q = q.where(c.received_at >= since)
    if until is not None:
        q = q.where(c.received_at < until)
    if after:
        q = q.where(c.id > after)
    q = q.order_by(c.id).limit(limit)
    return (await conn.execute(q)).mappings().all()


async def get_rules(conn: AsyncConnection, plaza_id: str) -> dict:
    """Every rule document the plaza has set, by name, in one query."""
    q = sa.select(plaza_rules).where(plaza_rules.c.plaza_id == plaza_id)
    return {row["name"]: row for row in (await conn.execute(q)).mappings()}


async def put_rules(conn: AsyncConnection, plaza_id: str, name: str, document: bytes, by: str, at) -> None:
    t = plaza_rules
    values = {"document": document, "updated_by": by, "updated_at": at}
    inserted = await conn.execute(insert_ignore(conn, t).values(plaza_id=plaza_id, name=name, **values))
    if inserted.rowcount == 0:
        await conn.execute(t.update().where(t.c.plaza_id == plaza_id, t.c.name == name).values(**values))
