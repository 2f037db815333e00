"""Queries on praise, suggestions and their follow-up, and the requests held without a work
order (tables.praise, suggestions, suggestion_follow_ups, held_requests)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore
from services.dispatch.tables import held_requests, plain, praise, suggestion_follow_ups, suggestions


async def add_praise(conn: AsyncConnection, rows: list[dict]) -> None:
    """Praise already recorded for its request is skipped."""
    if rows:
        await conn.execute(insert_ignore(conn, praise), rows)


async def add_suggestions(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, suggestions), [{"state": "received", **r} for r in rows])


async def forget_feedback(conn: AsyncConnection, plaza_id: str, request_id: str, *, keep: str) -> None:
    """The request leaves praise and suggestions, but for the ``keep`` kind's (its follow-up stays)."""
    for kind, table in (("praise", praise), ("suggestion", suggestions)):
        if kind != keep:
            await conn.execute(table.delete().where(table.c.plaza_id == plaza_id, table.c.request_id == request_id))


async def list_praise(conn: AsyncConnection, plaza_id: str, *, department: str | None, after: str | None, limit: int):
    q = sa.select(praise).where(praise.c.plaza_id == plaza_id)
    if department:
        q = q.where(praise.c.department == department)
    if after:
        q = q.where(praise.c.request_id > after)
    return [plain(r) for r in (await conn.execute(q.order_by(praise.c.request_id).limit(limit))).mappings().all()]


async def list_suggestions(conn: AsyncConnection, plaza_id: str, *, state: str | None = None,
                           after: str | None = None, limit: int = 50):
    q = sa.select(suggestions).where(suggestions.c.plaza_id == plaza_id)
    if state:
        q = q.where(suggestions.c.state == state)
    if after:
        q = q.where(suggestions.c.request_id > after)
    q = q.order_by(suggestions.c.request_id).limit(limit)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def get_suggestion(conn: AsyncConnection, plaza_id: str, request_id: str, *, lock: bool = False) -> dict | None:
    s = suggestions.c
    q = sa.select(suggestions).where(s.plaza_id == plaza_id, s.request_id == request_id)
    if lock:
        q = q.with_for_update()  # two leads answering at once go one after the other
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def update_suggestion(conn: AsyncConnection, plaza_id: str, request_id: str, values: dict) -> None:
    s = suggestions.c
    await conn.execute(suggestions.update().where(s.plaza_id == plaza_id, s.request_id == request_id).values(**values))


async def add_follow_up(conn: AsyncConnection, row: dict) -> None:
    f = suggestion_follow_ups.c
    q = sa.select(sa.func.coalesce(sa.func.max(f.n), 0)).where(f.plaza_id == row["plaza_id"], f.request_id == row["request_id"])
    n = (await conn.execute(q)).scalar_one() + 1
    await conn.execute(suggestion_follow_ups.insert().values(n=n, **row))


async def follow_ups_of(conn: AsyncConnection, plaza_id: str, request_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {i: [] for i in request_ids}
    if not request_ids:
        return out
    f = suggestion_follow_ups.c
    q = sa.select(suggestion_follow_ups).where(f.plaza_id == plaza_id, f.request_id.in_(request_ids)).order_by(f.request_id, f.n)
    for row in (await conn.execute(q)).mappings().all():
        out[row["request_id"]].append(plain(row))
    return out


async def hold_requests(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, held_requests), rows)


async def held_request(conn: AsyncConnection, plaza_id: str, request_id: str) -> dict | None:
    h = held_requests.c
    row = (await conn.execute(sa.select(held_requests).where(h.plaza_id == plaza_id, h.request_id == request_id))).mappings().first()
    return plain(row) if row else None
