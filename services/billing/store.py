"""Billing's tables: the append-only ledger, and its own copy of archive's plazas and units.

The ledger is only ever inserted into. ``uq_ledger_line`` is what makes a work order's
charge line postable once per plaza, however often and in whatever order the closing
events arrive; payments have no line id, and NULLs never collide on either database.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime import idempotency
from libs.runtime.db import UtcDateTime, insert_ignore, insert_ignore_many
from libs.runtime.outbox import add_runtime_tables
from services.billing import domain

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)
idempotency_keys = idempotency.add_table(metadata)

# The plaza's time zone (archive's IANA name) says which local day an instant is on;
# NULL until archive tells billing (rows kept before the column was added, too).
plazas = replica.plazas_table(metadata, sa.Column("timezone", sa.String(64)))

units = replica.units_table(
    metadata,
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("use", sa.String(16), nullable=False),
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_kind", sa.String(16)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    # Archive adds the occupancy date to UnitRegistered; units without one are billed whole periods.
    sa.Column("occupancy_date", sa.Date),
)

ledger = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, default="CNY"),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("work_order_id", sa.String(40)),
    sa.Column("line_id", sa.String(200)),
    sa.Column("method", sa.String(16)),
    sa.Column("reference", sa.String(255)),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("causation_id", sa.String(40)),
    # Where the entry came from: "event:<id>" or "request:<id>"; and who did it.
    sa.Column("source", sa.String(200)),
    sa.Column("actor", sa.String(80), nullable=False, default="system"),
    sa.Column("invoice_id", sa.String(40)),
    sa.Column("due_date", sa.Date),
    sa.Column("utility", sa.String(16)),
    sa.Column("reverses_entry_id", sa.String(40)),
    sa.Column("reason", sa.Text),
    sa.Column("approver", sa.String(80)),
    sa.CheckConstraint("amount_fen > 0", name="ck_ledger_amount_positive"),
    sa.UniqueConstraint("plaza_id", "line_id", name="uq_ledger_line"),
    # An entry is reversed at most once.
    sa.UniqueConstraint("plaza_id", "reverses_entry_id", name="uq_ledger_reversal"),
    sa.Index("ix_ledger_plaza_unit", "plaza_id", "unit", "occurred_at", "id"),
)


async def plaza_zone(conn: AsyncConnection, plaza_id: str) -> dt.tzinfo:
    """The zone a plaza's days are counted in (the default one for a plaza not known yet)."""
    return await replica.plaza_zone_of(conn, plazas, plaza_id)


async def plaza_zones(conn: AsyncConnection, plaza_ids) -> dict[str, dt.tzinfo]:
    return await replica.plaza_zones(conn, plazas, plaza_ids)


async def get_unit(conn: AsyncConnection, plaza_id: str, unit: str):
    q = sa.select(units).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
    return (await conn.execute(q)).first()


async def post_entry_once(conn: AsyncConnection, row: dict) -> bool:
    """Insert unless an entry with the same (plaza, line id) exists; True if it was new."""
    result = await conn.execute(insert_ignore(conn, ledger), row)
    return result.rowcount == 1


async def post_entries_once(conn: AsyncConnection, rows: list[dict]) -> set[tuple[str, str]]:
    """One insert for many entries, skipping any whose (plaza, line id) is already on the
    ledger; returns the (plaza, line id) of those that were new."""
    return await insert_ignore_many(conn, ledger, rows, ("plaza_id", "line_id"))


async def add_entry(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(ledger.insert(), row)


async def get_entry(conn: AsyncConnection, plaza_id: str, unit: str, entry_id: str):
    q = sa.select(ledger).where(ledger.c.plaza_id == plaza_id, ledger.c.unit == unit, ledger.c.id == entry_id)
    return (await conn.execute(q)).first()


async def is_reversed(conn: AsyncConnection, plaza_id: str, entry_id: str) -> bool:
    q = sa.select(ledger.c.id).where(ledger.c.plaza_id == plaza_id, ledger.c.reverses_entry_id == entry_id)
    return (await conn.execute(q)).first() is not None


async def lock_account(conn: AsyncConnection, plaza_id: str, unit: str) -> None:
    """Serialise writers that check a balance before they write (refunds, readings).
    SQLite has one writer already; PostgreSQL takes a transaction-scoped advisory lock."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"{plaza_id}/{unit}".encode()).digest()[:8], "big", signed=True)
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def plaza_entries(conn: AsyncConnection, plaza_id: str):
    q = sa.select(ledger).where(ledger.c.plaza_id == plaza_id).order_by(ledger.c.unit, ledger.c.occurred_at, ledger.c.id)
    return (await conn.execute(q)).all()


async def entries_of(conn: AsyncConnection, plaza_id: str, unit: str):
    q = (
        sa.select(ledger)
        .where(ledger.c.plaza_id == plaza_id, ledger.c.unit == unit)
        .order_by(ledger.c.occurred_at, ledger.c.id)
    )
    return (await conn.execute(q)).all()


async def has_entries(conn: AsyncConnection, plaza_id: str, unit: str) -> bool:
    q = sa.select(ledger.c.id).where(ledger.c.plaza_id == plaza_id, ledger.c.unit == unit).limit(1)
    return (await conn.execute(q)).first() is not None


async def totals_by_unit(conn: AsyncConnection, plaza_id: str):
    """(unit, kind, amount_fen) sums: the whole plaza's ledger in a few rows."""
    q = (
        sa.select(
            ledger.c.unit,
            ledger.c.kind,
            # PostgreSQL sums bigint as numeric; fen stay integers.
            sa.cast(sa.func.sum(ledger.c.amount_fen), sa.BigInteger).label("amount_fen"),
        )
        .where(ledger.c.plaza_id == plaza_id)
        .group_by(ledger.c.unit, ledger.c.kind)
    )
    return (await conn.execute(q)).all()


async def units_of(conn: AsyncConnection, plaza_id: str):
    q = sa.select(units).where(units.c.plaza_id == plaza_id)
    return (await conn.execute(q)).all()


def entry_row(plaza_id: str, unit: str, entry_id: str, posting, *, occurred_at: dt.datetime,
              recorded_at: dt.datetime, causation_id: str | None, actor: str = "system",
              source: str | None = None) -> dict:
    return {
        "actor": actor,
        "source": source or (f"event:{causation_id}" if causation_id else f"request:{entry_id}"),
        "invoice_id": posting.invoice_id,
        "due_date": posting.due_date,
        "utility": posting.utility,
        "reverses_entry_id": posting.reverses_entry_id,
        "reason": posting.reason,
        "approver": posting.approver,
        "id": entry_id,
        "plaza_id": plaza_id,
        "unit": unit,
        "kind": posting.kind,
        "amount_fen": posting.amount_fen,
        "currency": "CNY",
        "description": posting.description,
        "work_order_id": posting.work_order_id,
        "line_id": posting.line_id,
        "method": posting.method,
        "reference": posting.reference,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "causation_id": causation_id,
    }


# The other tables live in store_more on the same metadata; importing it here means
# create_all always sees them.
from services.billing import store_more  # noqa: E402,F401
