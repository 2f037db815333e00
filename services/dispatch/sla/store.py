"""Queries on each plaza's SLA policy and on the deadlines work orders were given
(tables.sla_policies, tables.deadlines)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore_rows, lock_skip_locked
from services.dispatch.tables import deadlines, plain, sla_policies


async def get_policy(conn: AsyncConnection, plaza_id: str) -> dict | None:
    return (await policies_of(conn, [plaza_id])).get(plaza_id)


async def policies_of(conn: AsyncConnection, plaza_ids) -> dict[str, dict]:
    """The stored policy of each of these plazas that has one, in one query."""
    plaza_ids = sorted(set(plaza_ids))
    if not plaza_ids:
        return {}
    p = sla_policies.c
    return dict((await conn.execute(sa.select(p.plaza_id, p.policy).where(p.plaza_id.in_(plaza_ids)))).all())


async def put_policy(conn: AsyncConnection, plaza_id: str, policy: dict, now, actor: str) -> None:
    values = {"policy": policy, "updated_at": now, "updated_by": actor}
    updated = await conn.execute(sla_policies.update().where(sla_policies.c.plaza_id == plaza_id).values(**values))
    if updated.rowcount == 0:
        await conn.execute(sla_policies.insert().values(plaza_id=plaza_id, **values))


async def add_deadlines(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await insert_ignore_rows(conn, deadlines, [{"voided": False, **row} for row in rows])


async def deadlines_of(conn: AsyncConnection, plaza_id: str, work_order_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {i: [] for i in work_order_ids}
    if not work_order_ids:
        return out
    d = deadlines.c
    q = sa.select(deadlines).where(d.plaza_id == plaza_id, d.work_order_id.in_(work_order_ids)).order_by(d.round, d.due_at)
    for row in (await conn.execute(q)).mappings().all():
        out[row["work_order_id"]].append(plain(row))
    return out


async def meet_deadlines(conn: AsyncConnection, plaza_id: str, work_order_id: str, names: tuple[str, ...], now) -> None:
    if not names:
        return
    d = deadlines.c
    await conn.execute(
        deadlines.update()
        .where(d.plaza_id == plaza_id, d.work_order_id == work_order_id, d.name.in_(names), d.met_at.is_(None), d.voided.is_(False))
        .values(met_at=now)
    )


async def void_open_deadlines(conn: AsyncConnection, plaza_id: str, work_order_id: str) -> None:
    d = deadlines.c
    await conn.execute(
        deadlines.update()
        .where(d.plaza_id == plaza_id, d.work_order_id == work_order_id, d.met_at.is_(None))
        .values(voided=True)
    )


async def breached(conn: AsyncConnection, now, limit: int = 500) -> list[dict]:
    """Open deadlines with a rung left to climb, every plaza (the sweep serves them all)."""
    d = deadlines.c
    q = (
        sa.select(deadlines)
        .where(
            d.met_at.is_(None), d.voided.is_(False), d.due_at <= now,
            sa.or_(d.escalated.is_(None), sa.and_(d.escalated == "supervisor", d.manager_at <= now)),
        )
        .order_by(d.due_at)
        .limit(limit)
    )
    return [plain(r) for r in (await conn.execute(lock_skip_locked(conn, q))).mappings().all()]


async def mark_escalated(conn: AsyncConnection, row: dict, level: str) -> None:
    d = deadlines.c
    await conn.execute(
        deadlines.update()
        .where(d.plaza_id == row["plaza_id"], d.work_order_id == row["work_order_id"], d.name == row["name"], d.round == row["round"])
        .values(escalated=level)
    )
