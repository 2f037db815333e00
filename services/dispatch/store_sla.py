"""SLA tables: each plaza's policy, every deadline a work order was given (one row per
deadline and round, so a restart finds them all), and every escalation raised."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore_rows, lock_skip_locked
from services.dispatch.store import _plain, metadata

sla_policies = sa.Table(
    "sla_policies",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100)),
)

# ``round`` is the reopen count the deadline was set at: a second dispatch gets new rows.
# ``escalated`` is the highest rung climbed, so each rung is climbed once, across restarts.
deadlines = sa.Table(
    "deadlines",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(16), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("manager_at", UtcDateTime(), nullable=False),
    sa.Column("met_at", UtcDateTime()),
    sa.Column("voided", sa.Boolean, nullable=False, default=False),
    sa.Column("escalated", sa.String(16)),
    sa.Index("ix_deadlines_open", "met_at", "voided", "due_at"),
)

escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(40), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("cause", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Index("ix_escalations_work_order", "plaza_id", "work_order_id"),
)


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
        out[row["work_order_id"]].append(_plain(row))
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
    return [_plain(r) for r in (await conn.execute(lock_skip_locked(conn, q))).mappings().all()]


async def mark_escalated(conn: AsyncConnection, row: dict, level: str) -> None:
    d = deadlines.c
    await conn.execute(
        deadlines.update()
        .where(d.plaza_id == row["plaza_id"], d.work_order_id == row["work_order_id"], d.name == row["name"], d.round == row["round"])
        .values(escalated=level)
    )


async def add_escalations(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(escalations.insert(), rows)


async def escalations_of(conn: AsyncConnection, plaza_id: str, work_order_id: str) -> list[dict]:
    e = escalations.c
    q = sa.select(escalations).where(e.plaza_id == plaza_id, e.work_order_id == work_order_id).order_by(e.occurred_at, e.event_id)
    return [_plain(r) for r in (await conn.execute(q)).mappings().all()]
