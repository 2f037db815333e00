"""Billing's tables beyond the ledger: fee rates and invoices, prepaid tariffs and meter
readings, renovation permits, complaints that hold dunning, and dunning tasks.

Unique keys carry the idempotency: one invoice per (plaza, unit, period), one dunning
task per (plaza, entry, stage), one permit per (plaza, permit id).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore, insert_ignore_many
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
    # A close can arrive before its create: it leaves a "closed" row the create cannot reopen.
    sa.Column("status", sa.String(8), nullable=False),
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


# Built once: the closing of many complaint rows in one executemany.
_close_complaint = (
    complaints.update()
    .where(complaints.c.plaza_id == sa.bindparam("k_plaza"), complaints.c.work_order_id == sa.bindparam("k_wo"))
    .values(status="closed")
)


async def add_complaints(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """Insert complaint rows unless their (plaza, work order) is there; returns those added."""
    return await insert_ignore_many(conn, complaints, rows, ("plaza_id", "work_order_id"))


async def mark_complaints_closed(conn: AsyncConnection, keys: list[tuple[str, str]]) -> None:
    if keys:
        await conn.execute(_close_complaint, [{"k_plaza": p, "k_wo": w} for p, w in keys])
