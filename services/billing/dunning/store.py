"""Queries on complaints that hold dunning and on dunning tasks (tables.complaints,
tables.dunning_tasks)."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import execute_many
from services.billing.tables import all_, complaints, dunning_tasks, insert_once, one


# Run for every batch of complaint events. Built per call, the statement cost more Python
# than the rest of the batch (``.excluded`` builds an aliased table, and a new statement
# needs a new cache key); built once per dialect, SQLAlchemy reuses both.
@functools.cache
def _move_complaints_stmt(dialect_name: str):
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(complaints)
    return stmt.on_conflict_do_update(
        index_elements=[complaints.c.plaza_id, complaints.c.work_order_id],
        set_={"step": stmt.excluded.step, "status": stmt.excluded.status},
        where=stmt.excluded.step > complaints.c.step,
    )


async def move_complaints(conn: AsyncConnection, rows: list[dict]) -> None:
    """One row per complaint: a new one is kept as it comes; one already there keeps its
    unit and moves on to a later step only."""
    await execute_many(conn, _move_complaints_stmt(conn.dialect.name), rows)


async def held_units(conn: AsyncConnection, plaza_id: str) -> set[str]:
    # ``complaint`` tells apart the rows of ordinary jobs an older release kept too.
    q = sa.select(complaints.c.unit).where(
        complaints.c.plaza_id == plaza_id, complaints.c.status == "open", complaints.c.complaint)
    return {r.unit for r in await all_(conn, q)}


async def reminded(conn: AsyncConnection, plaza_id: str) -> set[tuple[str, str]]:
    """(entry, stage) of every reminder the plaza has had."""
    q = sa.select(dunning_tasks.c.entry_id, dunning_tasks.c.stage).where(dunning_tasks.c.plaza_id == plaza_id)
    return {(r.entry_id, r.stage) for r in await all_(conn, q)}


async def add_task_once(conn: AsyncConnection, row: dict) -> bool:
    """False when the entry already had its reminder of that stage."""
    return await insert_once(conn, dunning_tasks, row)


async def tasks_of(conn: AsyncConnection, plaza_id: str, status: str | None, unit: str | None):
    q = sa.select(dunning_tasks).where(dunning_tasks.c.plaza_id == plaza_id)
    if status:
        q = q.where(dunning_tasks.c.status == status)
    if unit:
        q = q.where(dunning_tasks.c.unit == unit)
    return await all_(conn, q.order_by(dunning_tasks.c.created_at, dunning_tasks.c.id))


async def task(conn: AsyncConnection, plaza_id: str, task_id: str):
    return await one(conn, sa.select(dunning_tasks).where(
        dunning_tasks.c.plaza_id == plaza_id, dunning_tasks.c.id == task_id))


async def update_task(conn: AsyncConnection, plaza_id: str, task_id: str, values: dict) -> None:
    await conn.execute(dunning_tasks.update().where(
        dunning_tasks.c.plaza_id == plaza_id, dunning_tasks.c.id == task_id).values(**values))
