"""Queries of the projections archive keeps of other services' events: renovation permits
and handover defects (the unit's page reads them through register/store.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore, insert_ignore_many
from services.archive.tables import PROJECTIONS, defect_work_orders, defects, permits

# Built once (one cache key each); a batch runs an update with one parameter set per row,
# which names the row it updates as ``k_*``.
_PERMIT = (permits.c.plaza_id == sa.bindparam("k_plaza_id"), permits.c.permit_id == sa.bindparam("k_permit_id"))
# The columns set are the other keys of each row: an approval's, or a closing's.
_APPROVE_PERMIT = permits.update().where(*_PERMIT)
_CLOSE_PERMIT = permits.update().where(*_PERMIT).values(status="closed")
_w = defect_work_orders
_ADVANCE_DEFECT_WORK = _w.update().where(
    _w.c.plaza_id == sa.bindparam("k_plaza_id"), _w.c.work_order_id == sa.bindparam("k_work_order_id"),
    _w.c.step < sa.bindparam("new_step"),
).values(closed=sa.bindparam("new_closed"), step=sa.bindparam("new_step"), changed_at=sa.bindparam("new_changed_at"))

# A batch's closings and reopenings ask both tables at once, in one statement: most ask
# about ordinary work orders and find nothing, and each statement costs a small batch more
# Python to run than the database takes to answer it. ``found`` says which table answered.
_DEFECTS_OR_WORK_AMONG = sa.union_all(
    sa.select(sa.literal_column("'defect'").label("found"), defects.c.plaza_id, defects.c.defect_id).where(
        defects.c.plaza_id.in_(sa.bindparam("plazas", expanding=True)),
        defects.c.defect_id.in_(sa.bindparam("defect_ids", expanding=True)),
    ),
    sa.select(sa.literal_column("'work_order'"), _w.c.plaza_id, _w.c.work_order_id).where(
        _w.c.plaza_id.in_(sa.bindparam("plazas", expanding=True)),
        _w.c.work_order_id.in_(sa.bindparam("work_order_ids", expanding=True)),
    ),
)


# --- projections -------------------------------------------------------------------------


async def clear_projections(conn: AsyncConnection, plaza_id: str | None) -> None:
    for table in PROJECTIONS:
        q = table.delete()
        await conn.execute(q if plaza_id is None else q.where(table.c.plaza_id == plaza_id))



async def add_defects(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, defects), rows)


async def existing_defects_and_work(
    conn: AsyncConnection, defect_keys: set[tuple[str, str]], work_order_keys: set[tuple[str, str]]
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Which of these (plaza, defect id) are stored, and which of these (plaza, work order
    id) are kept as warranty orders: one query for a whole batch."""
    if not defect_keys and not work_order_keys:
        return set(), set()
    params = {
        "plazas": sorted({p for p, _ in defect_keys | work_order_keys}),
        "defect_ids": sorted({k for _, k in defect_keys}),
        "work_order_ids": sorted({k for _, k in work_order_keys}),
    }
    found: dict[str, set[tuple[str, str]]] = {"defect": set(), "work_order": set()}
    for found_in, plaza_id, key in await conn.execute(_DEFECTS_OR_WORK_AMONG, params):
        found[found_in].add((plaza_id, key))
    return found["defect"] & defect_keys, found["work_order"] & work_order_keys


async def add_permits(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """The (plaza, permit id) of the rows that were new; a permit already there is kept."""
    return await insert_ignore_many(conn, permits, rows, ("plaza_id", "permit_id"))


async def update_permit_approvals(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(_APPROVE_PERMIT, rows)


async def update_permit_closings(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(_CLOSE_PERMIT, rows)


async def add_defect_work(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """The (plaza, work order id) of the rows that were new; an order already there is kept."""
    return await insert_ignore_many(conn, defect_work_orders, rows, ("plaza_id", "work_order_id"))


async def advance_defect_work(conn: AsyncConnection, rows: list[dict]) -> None:
    """A state only replaces one of an earlier ``step``, so a closing that arrives after
    the reopening does not undo it (``domain.advance``, for stored rows)."""
    if rows:
        await conn.execute(_ADVANCE_DEFECT_WORK, rows)

