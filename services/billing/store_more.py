"""Billing's tables beyond the ledger: fee rates and invoices, prepaid tariffs and meter
readings, renovation permits, complaints that hold dunning, and dunning tasks.

Unique keys carry the idempotency: one invoice per (plaza, unit, period), one dunning
task per (plaza, entry, stage), one permit per (plaza, permit id), one complaint row per
(plaza, work order), which only ever moves on to a later step of the work order.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, execute_many, insert_ignore
from services.billing.store import metadata

fee_rates = sa.Table(
    "fee_rates",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("shop", sa.BigInteger, nullable=False),
    sa.Column("office", sa.BigInteger, nullable=False),
    sa.Column("residence", sa.BigInteger, nullable=False),
    sa.Column("due_days", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("entry_id", sa.String(40), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("plaza_id", "unit", "period", name="uq_invoice_unit_period"),
)

tariffs = sa.Table(
    "tariffs",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("utility", sa.String(16), primary_key=True),
    sa.Column("price_fen", sa.BigInteger, nullable=False),
    sa.Column("low_balance_fen", sa.BigInteger, nullable=False),
)

meter_readings = sa.Table(
    "meter_readings",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("utility", sa.String(16), nullable=False),
    sa.Column("reading_milli", sa.BigInteger, nullable=False),
    sa.Column("previous_milli", sa.BigInteger),
    sa.Column("price_fen", sa.BigInteger, nullable=False),
    sa.Column("deduction_fen", sa.BigInteger, nullable=False),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("read_at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Index("ix_readings_meter", "plaza_id", "unit", "utility", "read_at"),
)

permits = sa.Table(
    "renovation_permits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("permit_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("deposit_fen", sa.BigInteger),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("deduction_fen", sa.BigInteger, nullable=False, default=0),
    sa.Column("deduction_reason", sa.Text),
)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    # Every closed, cancelled or reopened work order has a row, since its create (the only
    # event that says it is a complaint) may come later; ``status`` is where its latest
    # ``step`` left it (domain_arrears.work_order_step), and an older step never moves it back.
    sa.Column("status", sa.String(8), nullable=False),
    # Rows kept before steps were: a closed one's last closing is taken as the first.
    sa.Column("step", sa.Integer, nullable=False,
              info={"backfill": "CASE WHEN status = 'closed' THEN 1 ELSE 0 END"}),
    # Set by the work order's create. Before this column only complaints' creates made
    # open rows, so an open old row is a complaint; a closed old one cannot be told apart.
    sa.Column("complaint", sa.Boolean, nullable=False, info={"backfill": "(status = 'open')"}),
    sa.Index("ix_complaints_unit", "plaza_id", "unit", "status"),
)

dunning_tasks = sa.Table(
    "dunning_tasks",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.String(40), nullable=False),
    sa.Column("invoice_id", sa.String(40)),
    sa.Column("stage", sa.String(8), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("open_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("outcome", sa.String(24)),
    sa.Column("note", sa.Text),
    sa.Column("recorded_by", sa.String(80)),
    sa.Column("recorded_at", UtcDateTime()),
    sa.UniqueConstraint("plaza_id", "entry_id", "stage", name="uq_dunning_entry_stage"),
    sa.Index("ix_dunning_plaza_status", "plaza_id", "status", "created_at"),
)


async def one(conn: AsyncConnection, q):
    return (await conn.execute(q)).first()


async def all_(conn: AsyncConnection, q):
    return (await conn.execute(q)).all()


async def insert_once(conn: AsyncConnection, table: sa.Table, row: dict) -> bool:
    return (await conn.execute(insert_ignore(conn, table), row)).rowcount == 1


async def upsert(conn: AsyncConnection, table: sa.Table, keys: dict, values: dict) -> None:
    where = [table.c[k] == v for k, v in keys.items()]
    if (await conn.execute(table.update().where(*where).values(**values))).rowcount == 0:
        await conn.execute(table.insert().values(**keys, **values))


# The complaint upserts run for every batch of work-order events. Built per call, each
# cost more Python than the rest of the batch (``.excluded`` builds an aliased table, and a
# new statement needs a new cache key); built once per dialect, SQLAlchemy reuses both.
_COMPLAINT_KEY = [complaints.c.plaza_id, complaints.c.work_order_id]


def _insert_complaint(dialect_name: str):
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(complaints)


@functools.cache
def _mark_complaints_stmt(dialect_name: str):
    stmt = _insert_complaint(dialect_name)
    return stmt.on_conflict_do_update(index_elements=_COMPLAINT_KEY, set_={"complaint": True})


@functools.cache
def _advance_complaints_stmt(dialect_name: str):
    stmt = _insert_complaint(dialect_name)
    return stmt.on_conflict_do_update(
        index_elements=_COMPLAINT_KEY,
        set_={"step": stmt.excluded.step, "status": stmt.excluded.status},
        where=stmt.excluded.step > complaints.c.step,
    )


async def mark_complaints(conn: AsyncConnection, rows: list[dict]) -> None:
    """Complaints created (one row per work order): a new row is open at its first step;
    a row already there keeps its unit and step, and is marked a complaint."""
    if rows:
        await execute_many(conn, _mark_complaints_stmt(conn.dialect.name), [{**row, "complaint": True} for row in rows])


async def advance_complaints(conn: AsyncConnection, rows: list[dict]) -> None:
    """Work orders closed, cancelled or reopened (one row per work order): a new row is
    kept, not yet known as a complaint; a row already there moves to a later step only."""
    if rows:
        await execute_many(conn, _advance_complaints_stmt(conn.dialect.name), [{**row, "complaint": False} for row in rows])
