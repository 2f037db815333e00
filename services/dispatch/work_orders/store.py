"""Queries on work orders and what hangs on them: charge lines, escalations, the return
visits already applied (tables.work_orders, charge_lines, escalations, applied_visits)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore_many
from services.dispatch.tables import applied_visits, charge_lines, escalations, plain, work_orders
from services.dispatch.work_orders.domain import OPEN_STATUSES

# A department's queue: the jobs still to be done (a resolved one waits for its close).
QUEUE_STATUSES = ("created", "assigned", "in_progress")


# --- work orders -----------------------------------------------------------------------


async def add_work_orders(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """The (plaza_id, request_id) of the rows inserted: a request that already has its work
    order in the plaza is skipped. Rows go in key order, so two replicas inserting the same
    requests wait for each other instead of deadlocking (PostgreSQL)."""
    rows = sorted(rows, key=lambda row: (row["plaza_id"], row["request_id"]))
    return await insert_ignore_many(conn, work_orders, rows, ("plaza_id", "request_id"))


async def get_work_order(conn: AsyncConnection, plaza_id: str, work_order_id: str, *, lock: bool = False):
    q = sa.select(work_orders).where(work_orders.c.plaza_id == plaza_id, work_orders.c.id == work_order_id)
    if lock:
        q = q.with_for_update()  # PostgreSQL: two clerks acting at once go one after the other
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def work_orders_by_id(conn: AsyncConnection, keys, *, lock: bool = False) -> dict[tuple[str, str], dict]:
    """The work orders named by (plaza_id, id), in one query; one of another plaza is absent.
    Locked in id order (PostgreSQL), so two batches over the same jobs queue, not deadlock."""
    keys = set(keys)
    if not keys:
        return {}
    c = work_orders.c
    q = sa.select(work_orders).where(c.id.in_(sorted({k[1] for k in keys}))).order_by(c.id)
    if lock:
        q = q.with_for_update()
    rows = (plain(r) for r in (await conn.execute(q)).mappings().all())
    return {key: row for row in rows if (key := (row["plaza_id"], row["id"])) in keys}


# A return visit changes these columns; one statement for a batch of work orders.
_VISIT_COLUMNS = ("status", "reopen_count", "last_rating", "closed_at", "updated_at")
_update_after_visit = (
    work_orders.update()
    .where(work_orders.c.plaza_id == sa.bindparam("b_plaza_id"), work_orders.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(name) for name in _VISIT_COLUMNS})
)


async def update_after_visits(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        params = [{"b_plaza_id": r["plaza_id"], "b_id": r["id"], **{k: r[k] for k in _VISIT_COLUMNS}} for r in rows]
        await conn.execute(_update_after_visit, params)


async def update_work_order(conn: AsyncConnection, plaza_id: str, work_order_id: str, values: dict) -> None:
    await conn.execute(
        work_orders.update()
        .where(work_orders.c.plaza_id == plaza_id, work_orders.c.id == work_order_id)
        .values(**values)
    )


async def list_work_orders(
    conn: AsyncConnection,
    plaza_id: str,
    *,
    request_id: str | None = None,
    status: str | None = None,
    department: str | None = None,
    unit: str | None = None,
    area: str | None = None,
    open_: bool | None = None,
    after: str | None = None,
    limit: int = 50,
):
    c = work_orders.c
    q = sa.select(work_orders).where(c.plaza_id == plaza_id)
    if open_ is not None:
        q = q.where(c.status.in_(OPEN_STATUSES) if open_ else c.status.not_in(OPEN_STATUSES))
    filters = ((c.request_id, request_id), (c.status, status), (c.department, department), (c.unit, unit), (c.area, area))
    for column, value in filters:
        if value:
            q = q.where(column == value)
    if after:
        q = q.where(c.id > after)
    return (await conn.execute(q.order_by(c.id).limit(limit))).mappings().all()


async def open_work_orders_of(conn: AsyncConnection, plaza_id: str, department: str):
    c = work_orders.c
    q = sa.select(work_orders).where(c.plaza_id == plaza_id, c.department == department, c.status.in_(QUEUE_STATUSES))
    return (await conn.execute(q)).mappings().all()


# --- charge lines ----------------------------------------------------------------------


async def add_charge_lines(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(charge_lines.insert(), rows)


async def charge_lines_of(conn: AsyncConnection, plaza_id: str, work_order_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {i: [] for i in work_order_ids}
    if not work_order_ids:
        return out
    q = (
        sa.select(charge_lines)
        .where(charge_lines.c.plaza_id == plaza_id, charge_lines.c.work_order_id.in_(work_order_ids))
        .order_by(charge_lines.c.work_order_id, charge_lines.c.n)
    )
    for row in (await conn.execute(q)).mappings().all():
        out[row["work_order_id"]].append(plain(row))
    return out


# --- return visits ---------------------------------------------------------------------


async def visits_applied(conn: AsyncConnection, keys) -> set[tuple[str, str]]:
    """Which of these (plaza_id, visit_id) were already applied, in one query."""
    keys = set(keys)
    if not keys:
        return set()
    v = applied_visits.c
    q = sa.select(v.plaza_id, v.visit_id).where(v.visit_id.in_(sorted({k[1] for k in keys})))
    return {key for key in map(tuple, (await conn.execute(q)).all()) if key in keys}


async def remember_visits(conn: AsyncConnection, rows: list[dict]) -> None:
    """A plain insert: the caller locked the work orders and read ``visits_applied`` after,
    so a visit applied meanwhile by another replica fails the batch, which is then retried."""
    if rows:
        await conn.execute(applied_visits.insert(), rows)


# --- escalations -----------------------------------------------------------------------


async def add_escalations(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(escalations.insert(), rows)


async def escalations_of(conn: AsyncConnection, plaza_id: str, work_order_id: str) -> list[dict]:
    e = escalations.c
    q = sa.select(escalations).where(e.plaza_id == plaza_id, e.work_order_id == work_order_id).order_by(e.occurred_at, e.event_id)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def work_order_of_request(conn: AsyncConnection, plaza_id: str, request_id: str, *, lock: bool = False):
    c = work_orders.c
    q = sa.select(work_orders).where(c.plaza_id == plaza_id, c.request_id == request_id)
    if lock:
        q = q.with_for_update()
    row = (await conn.execute(q)).mappings().first()
    return plain(row) if row else None


async def counts_by_status(conn: AsyncConnection) -> list[tuple[str, str, str, int]]:
    """(plaza, department, status, how many) over every work order: /metrics' gauge."""
    w = work_orders
    rows = await conn.execute(
        sa.select(w.c.plaza_id, w.c.department, w.c.status, sa.func.count())
        .group_by(w.c.plaza_id, w.c.department, w.c.status)
    )
    return [tuple(r) for r in rows]


async def has_catalogue_line(conn: AsyncConnection, plaza_id: str, work_order_id: str) -> bool:
    """The job's ordered catalogue service has its line already (it is billed once)."""
    c = charge_lines.c
    q = sa.select(c.line_id).where(c.plaza_id == plaza_id, c.work_order_id == work_order_id,
                                   c.catalogue_item.is_not(None)).limit(1)
    return (await conn.execute(q)).first() is not None
