"""Webhook endpoints, deliveries and attempts (SQLAlchemy Core)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore_rows, lock_skip_locked
from services.dispatch.tables import webhook_attempts, webhook_deliveries, webhook_endpoints


async def add_endpoint(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(webhook_endpoints.insert().values(**row))


async def endpoints(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    e = webhook_endpoints
    rows = await conn.execute(sa.select(e).where(e.c.plaza_id == plaza_id).order_by(e.c.created_at))
    return [dict(r._mapping) for r in rows]


async def endpoint(conn: AsyncConnection, plaza_id: str, endpoint_id: str) -> dict | None:
    e = webhook_endpoints
    row = (await conn.execute(sa.select(e).where(e.c.plaza_id == plaza_id, e.c.id == endpoint_id))).first()
    return dict(row._mapping) if row else None


async def deactivate(conn: AsyncConnection, plaza_id: str, endpoint_id: str) -> None:
    e = webhook_endpoints
    await conn.execute(e.update().where(e.c.plaza_id == plaza_id, e.c.id == endpoint_id).values(active=False))


async def active_endpoints_of(conn: AsyncConnection, plaza_ids: set[str]) -> list[dict]:
    e = webhook_endpoints
    rows = await conn.execute(sa.select(e).where(e.c.plaza_id.in_(sorted(plaza_ids)), e.c.active.is_(True)))
    return [dict(r._mapping) for r in rows]


async def queue(conn: AsyncConnection, rows: list[dict]) -> None:
    """One delivery per endpoint and event: a second copy of an event is not queued again."""
    await insert_ignore_rows(conn, webhook_deliveries, rows)


async def claim_due(conn: AsyncConnection, now: dt.datetime, lease: dt.datetime, limit: int) -> list[dict]:
    """The deliveries due now, leased until ``lease`` (so another replica's round, or this
    one's next, does not send them again while they are on their way)."""
    d, e = webhook_deliveries, webhook_endpoints
    stmt = lock_skip_locked(conn, sa.select(d.c.id).where(d.c.status == "pending", d.c.next_attempt_at <= now)
                            .order_by(d.c.next_attempt_at).limit(limit))
    ids = list((await conn.execute(stmt)).scalars())
    if not ids:
        return []
    await conn.execute(d.update().where(d.c.id.in_(ids)).values(next_attempt_at=lease))
    rows = await conn.execute(
        sa.select(d, e.c.url, e.c.secret).join(e, e.c.id == d.c.endpoint_id).where(d.c.id.in_(ids)))
    return [dict(r._mapping) for r in rows]


async def record_attempt(conn: AsyncConnection, attempt: dict, delivery: dict) -> None:
    await conn.execute(webhook_attempts.insert().values(**attempt))
    d = webhook_deliveries
    await conn.execute(d.update().where(d.c.id == attempt["delivery_id"]).values(**delivery))


async def deliveries(conn: AsyncConnection, plaza_id: str, endpoint_id: str, *, status: str | None, limit: int) -> list[dict]:
    d = webhook_deliveries
    stmt = sa.select(d).where(d.c.plaza_id == plaza_id, d.c.endpoint_id == endpoint_id)
    if status:
        stmt = stmt.where(d.c.status == status)
    rows = await conn.execute(stmt.order_by(d.c.created_at.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


async def delivery(conn: AsyncConnection, plaza_id: str, delivery_id: str) -> dict | None:
    d = webhook_deliveries
    row = (await conn.execute(sa.select(d).where(d.c.plaza_id == plaza_id, d.c.id == delivery_id))).first()
    return dict(row._mapping) if row else None


async def attempts_of(conn: AsyncConnection, delivery_ids: list[str]) -> dict[str, list[dict]]:
    a = webhook_attempts
    out: dict[str, list[dict]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for r in await conn.execute(sa.select(a).where(a.c.delivery_id.in_(delivery_ids)).order_by(a.c.attempt)):
            out[r.delivery_id].append(dict(r._mapping))
    return out


async def requeue(conn: AsyncConnection, delivery_id: str, now: dt.datetime, by: str) -> None:
    d = webhook_deliveries
    await conn.execute(d.update().where(d.c.id == delivery_id).values(
        status="pending", next_attempt_at=now, since=now, redelivered_by=by))
