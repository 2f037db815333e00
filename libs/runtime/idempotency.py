"""Stripe-style ``Idempotency-Key`` for POSTs: the same key replays the first response;
the same key with a different body is refused, naming the key. The key row is written in
the same transaction as the effect, so a crash never leaves one without the other."""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import utcnow
from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.errors import DomainError


class IdempotencyMismatch(DomainError):
    status = 422
    title = "Idempotency-Key reused with a different request"


class IdempotencyInFlight(DomainError):
    status = 409
    title = "Request with this Idempotency-Key in progress"


class Replay(msgspec.Struct, frozen=True):
    status: int
    body: bytes


def add_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("plaza_id", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def find(
    conn: AsyncConnection, table: sa.Table, plaza_id: str, scope: str, key: str, body: bytes
) -> Replay | None:
    row = (
        await conn.execute(
            sa.select(table.c.fingerprint, table.c.status, table.c.response).where(
                table.c.plaza_id == plaza_id, table.c.scope == scope, table.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint(body):
        raise IdempotencyMismatch(
            f"Idempotency-Key {key!r} was first used with a different request body; "
            "use a new key for a new request",
            field="Idempotency-Key",
        )
    return Replay(row.status, row.response)


async def remember(
    conn: AsyncConnection,
    table: sa.Table,
    plaza_id: str,
    scope: str,
    key: str,
    body: bytes,
    status: int,
    response: bytes,
    now: dt.datetime | None = None,
) -> None:
    result = await conn.execute(
        insert_ignore(conn, table).values(
            plaza_id=plaza_id,
            scope=scope,
            key=key,
            fingerprint=fingerprint(body),
            status=status,
            response=response,
            created_at=now or utcnow(),
        )
    )
    if result.rowcount != 1:
        # Another request with this key committed first (or is committing): this one's
        # effects roll back; a retry gets the stored answer (Stripe answers 409 too).
        raise IdempotencyInFlight(
            f"another request with Idempotency-Key {key!r} was being processed; retry to get its answer",
            field="Idempotency-Key",
        )
