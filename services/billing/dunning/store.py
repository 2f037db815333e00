"""Queries on complaints that hold dunning and on dunning tasks (tables.complaints,
tables.dunning_tasks)."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import execute_many
from services.billing.tables import all_, complaints, dunning_tasks, insert_once, one, reclassified_requests


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
    """Units of an open complaint (its job's events said so), less those the desk took the
    complaint away from; and units of a request the desk made a complaint, until its job
    ends or its job's own events say complaint (dunning.domain.held_by_correction)."""
    c, r = complaints.c, reclassified_requests.c
    corrected_away = sa.select(r.request_id).where(r.plaza_id == plaza_id, sa.not_(r.complaint))
    # ``complaint`` tells apart the rows of ordinary jobs an older release kept too.
    by_events = sa.select(c.unit).where(
        c.plaza_id == plaza_id, c.status == "open", c.complaint,
        sa.or_(c.request_id.is_(None), c.request_id.not_in(corrected_away)))
    with_events = sa.select(c.request_id).where(c.plaza_id == plaza_id, c.request_id.is_not(None))
    by_correction = sa.select(r.unit).where(
        r.plaza_id == plaza_id, r.complaint, sa.not_(r.ended), r.unit != "", r.request_id.not_in(with_events))
    return {row.unit for row in await all_(conn, sa.union(by_events, by_correction))}


@functools.cache
def _correct_stmt(dialect_name: str):
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(reclassified_requests)
    r = reclassified_requests.c
    return stmt.on_conflict_do_update(
        index_elements=[r.plaza_id, r.request_id],
        set_={"complaint": stmt.excluded.complaint, "unit": stmt.excluded.unit,
              "reclassified_at": stmt.excluded.reclassified_at},
        where=stmt.excluded.reclassified_at >= r.reclassified_at,
    )


async def record_corrections(conn: AsyncConnection, rows: list[dict]) -> None:
    """One row per corrected request, moved by a later correction only; whether its job
    ended stays as it was."""
    await execute_many(conn, _correct_stmt(conn.dialect.name), rows)


async def end_corrected(conn: AsyncConnection, plaza_id: str, request_ids: set[str]) -> None:
    """The jobs of these requests closed or were cancelled: a correction's hold ends."""
    r = reclassified_requests.c
    await conn.execute(reclassified_requests.update().where(
        r.plaza_id == plaza_id, r.request_id.in_(sorted(request_ids)), sa.not_(r.ended)).values(ended=True))


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
