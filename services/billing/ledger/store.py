"""Queries on the ledger (tables.ledger): postings once by line id, an account's
entries, the whole plaza's sums; and the refunds and corrections waiting for a second
person (tables.ledger_requests)."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import insert_ignore, insert_ignore_many
from services.billing.tables import ledger, ledger_requests


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


async def ledger_plazas(conn: AsyncConnection) -> list[str]:
    """Every plaza with money on its ledger."""
    return [r.plaza_id for r in (await conn.execute(sa.select(ledger.c.plaza_id).distinct())).all()]


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


async def add_request(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(ledger_requests.insert(), row)


async def get_request(conn: AsyncConnection, plaza_id: str, unit: str, kind: str, request_id: str) -> dict | None:
    r = ledger_requests.c
    q = sa.select(ledger_requests).where(r.plaza_id == plaza_id, r.unit == unit, r.kind == kind, r.id == request_id)
    row = (await conn.execute(q)).mappings().first()
    return dict(row) if row else None


async def pending_correction_of(conn: AsyncConnection, plaza_id: str, entry_id: str) -> str | None:
    r = ledger_requests.c
    q = sa.select(r.id).where(r.plaza_id == plaza_id, r.reverses_entry_id == entry_id, r.status == "pending")
    row = (await conn.execute(q)).first()
    return row.id if row else None


async def decide_request(conn: AsyncConnection, plaza_id: str, request_id: str, values: dict) -> bool:
    """False when another decision came first (the request is no longer pending)."""
    r = ledger_requests.c
    q = ledger_requests.update().where(r.plaza_id == plaza_id, r.id == request_id, r.status == "pending").values(**values)
    return (await conn.execute(q)).rowcount == 1


async def requests(conn: AsyncConnection, plaza_id: str, *, kind: str | None, status: str | None,
                   after: str | None, limit: int) -> list[dict]:
    r = ledger_requests.c
    q = sa.select(ledger_requests).where(r.plaza_id == plaza_id)
    for column, value in ((r.kind, kind), (r.status, status)):
        if value:
            q = q.where(column == value)
    if after:
        q = q.where(r.id > after)
    return [dict(row) for row in (await conn.execute(q.order_by(r.id).limit(limit))).mappings().all()]
