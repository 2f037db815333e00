"""Dispatch's tables: work orders and their charge lines, the plaza's routing rules, the
return visits already applied, and its own copy of the plazas and units archive publishes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.db import UtcDateTime, insert_ignore, insert_ignore_many
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)

plazas = replica.plazas_table(metadata)

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
)

routing_rules = sa.Table(
    "routing_rules",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("keyword", sa.String(100), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
)

work_orders = sa.Table(
    "work_orders",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    # Second dispatch is counted against the department that first had the job.
    sa.Column("original_department", sa.String(64), nullable=False, info={"backfill": "department"}),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("category", sa.String(32)),
    sa.Column("sla_class", sa.String(16), nullable=False),
    sa.Column("warranty", sa.Boolean, nullable=False, default=False),
    sa.Column("responsible_party", sa.String(200)),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("major", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("assignee", sa.String(100)),
    sa.Column("reopen_count", sa.Integer, nullable=False, default=0),
    sa.Column("paid", sa.Boolean),
    sa.Column("labour_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("materials", sa.JSON, nullable=False, default=list),
    sa.Column("note", sa.Text),
    sa.Column("lines_created", sa.Integer, nullable=False, default=0),
    sa.Column("last_rating", sa.String(32)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("first_responded_at", UtcDateTime()),
    sa.Column("first_closed_at", UtcDateTime()),
    sa.Column("cancel_reason", sa.Text),
    # One request, one work order: a RequestReceived delivered twice (under any event id) opens one.
    sa.UniqueConstraint("plaza_id", "request_id", name="uq_work_orders_plaza_request"),
    sa.Index("ix_work_orders_plaza_status", "plaza_id", "status"),
    sa.Index("ix_work_orders_plaza_unit", "plaza_id", "unit"),
    sa.Index("ix_work_orders_plaza_department_status", "plaza_id", "department", "status"),
    sa.Index("ix_work_orders_plaza_kind_created", "plaza_id", "kind", "created_at"),
)

charge_lines = sa.Table(
    "charge_lines",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("line_id", sa.String(80), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_fen", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_charge_lines_work_order", "plaza_id", "work_order_id"),
)

# A return visit is applied once, whatever event id carries it.
applied_visits = sa.Table(
    "applied_visits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("visit_id", sa.String(40), primary_key=True),
    sa.Column("work_order_id", sa.String(40), nullable=False),
    sa.Column("rating", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("applied_at", UtcDateTime(), nullable=False),
)


# Praise is data for the department's reports; suggestions are read by the manager.
praise = sa.Table(
    "praise",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_praise_plaza_department", "plaza_id", "department"),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)


def _plain(row) -> dict:
    # Column keys are str subclasses (quoted_name); msgspec and JSON want plain str.
    return {str(k): v for k, v in row.items()}


OPEN_STATUSES = ("created", "assigned", "in_progress")


# --- plazas and units ------------------------------------------------------------------


async def plaza_exists(conn: AsyncConnection, plaza_id: str) -> bool:
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).first() is not None


# --- routing rules ---------------------------------------------------------------------


async def get_routing_rules(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    return (await routing_rules_of(conn, [plaza_id]))[plaza_id]


async def routing_rules_of(conn: AsyncConnection, plaza_ids) -> dict[str, list[dict]]:
    """Each plaza's own table in order (empty while it has none), in one query."""
    out: dict[str, list[dict]] = {p: [] for p in plaza_ids}
    if not out:
        return out
    r = routing_rules.c
    q = sa.select(r.plaza_id, r.position, r.keyword, r.department).where(r.plaza_id.in_(list(out))).order_by(r.plaza_id, r.position)
    for plaza_id, position, keyword, department in (await conn.execute(q)).all():
        out[plaza_id].append({"position": position, "keyword": keyword, "department": department})
    return out


async def replace_routing_rules(conn: AsyncConnection, plaza_id: str, rules: list[dict]) -> None:
    await conn.execute(routing_rules.delete().where(routing_rules.c.plaza_id == plaza_id))
    if rules:
        await conn.execute(
            routing_rules.insert(),
            [{"plaza_id": plaza_id, "position": i, **rule} for i, rule in enumerate(rules, start=1)],
        )


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
    return (await conn.execute(q)).mappings().first()


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
    rows = (_plain(r) for r in (await conn.execute(q)).mappings().all())
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
    after: str | None = None,
    limit: int = 50,
):
    c = work_orders.c
    q = sa.select(work_orders).where(c.plaza_id == plaza_id)
    for column, value in ((c.request_id, request_id), (c.status, status), (c.department, department), (c.unit, unit)):
        if value:
            q = q.where(column == value)
    if after:
        q = q.where(c.id > after)
    return (await conn.execute(q.order_by(c.id).limit(limit))).mappings().all()


async def open_work_orders_of(conn: AsyncConnection, plaza_id: str, department: str):
    c = work_orders.c
    q = sa.select(work_orders).where(c.plaza_id == plaza_id, c.department == department, c.status.in_(OPEN_STATUSES))
    return (await conn.execute(q)).mappings().all()


async def complaints_opened(conn: AsyncConnection, plaza_id: str, start, end) -> list[dict]:
    c = work_orders.c
    q = (
        sa.select(work_orders)
        .where(c.plaza_id == plaza_id, c.kind == "complaint", c.created_at >= start, c.created_at < end)
        .order_by(c.created_at)
    )
    return [_plain(r) for r in (await conn.execute(q)).mappings().all()]


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
        out[row["work_order_id"]].append(_plain(row))
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


# --- praise and suggestions ------------------------------------------------------------


async def add_praise(conn: AsyncConnection, rows: list[dict]) -> None:
    """Praise already recorded for its request is skipped."""
    if rows:
        await conn.execute(insert_ignore(conn, praise), rows)


async def add_suggestions(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(insert_ignore(conn, suggestions), rows)


async def list_praise(conn: AsyncConnection, plaza_id: str, *, department: str | None, after: str | None, limit: int):
    q = sa.select(praise).where(praise.c.plaza_id == plaza_id)
    if department:
        q = q.where(praise.c.department == department)
    if after:
        q = q.where(praise.c.request_id > after)
    return [_plain(r) for r in (await conn.execute(q.order_by(praise.c.request_id).limit(limit))).mappings().all()]


async def list_suggestions(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int):
    q = sa.select(suggestions).where(suggestions.c.plaza_id == plaza_id)
    if after:
        q = q.where(suggestions.c.request_id > after)
    q = q.order_by(suggestions.c.request_id).limit(limit)
    return [_plain(r) for r in (await conn.execute(q)).mappings().all()]
