"""Stripe-style ``Idempotency-Key`` for POSTs: the same key replays the first response;
the same key with a different body is refused, naming the key. The key row is written in
the same transaction as the effect, so a crash never leaves one without the other."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import utcnow
from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.errors import DomainError, InvalidInput


R = TypeVar("R")


class IdempotencyMismatch(DomainError):
    status = 422
    title = "Idempotency-Key reused with a different request"


class IdempotencyInFlight(DomainError):
    status = 409
    title = "Request with this Idempotency-Key in progress"


class IdempotencyKeyRequired(DomainError):
    """428 Precondition Required: the request is only taken with a key (money moves)."""

    status = 428
    title = "Idempotency-Key required"


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


def check_key(key: str | None, *, required: bool = False) -> None:
    if key is None and required:
        raise IdempotencyKeyRequired(
            "this request moves money, so it needs an Idempotency-Key header: a unique value per payment "
            "(a till receipt number, a UUID), sent again unchanged when the request is retried, so a retry "
            "is never taken twice",
            field="Idempotency-Key",
        )
    if key is not None and not 0 < len(key) <= 255:
        raise InvalidInput("Idempotency-Key must be 1-255 characters", field="Idempotency-Key")


def _scope(scope: str) -> str:
    """Scopes name an endpoint and its target (``payments:<unit>``); a long one is hashed
    to fit the column rather than refused."""
    if len(scope) <= 128:
        return scope
    return scope[:60] + "#" + hashlib.sha256(scope.encode()).hexdigest()[:40]


async def once(
    conn: AsyncConnection,
    table: sa.Table,
    plaza_id: str,
    scope: str,
    key: str | None,
    body: msgspec.Struct,
    result: type[R],
    run: Callable[[], Awaitable[R]],
    *,
    status: int = 201,
    required: bool = False,
) -> R:
    """One use case behind an Idempotency-Key: a repeat returns the first answer, the same
    key with another body is refused; without a key the use case simply runs."""
    check_key(key, required=required)
    if not key:
        return await run()
    request = msgspec.json.encode(body)
    replay = await find(conn, table, plaza_id, scope, key, request)
    if replay is not None:
        return msgspec.json.decode(replay.body, type=result)
    answer = await run()
    await remember(conn, table, plaza_id, scope, key, request, status, msgspec.json.encode(answer))
    return answer


async def find(
    conn: AsyncConnection, table: sa.Table, plaza_id: str, scope: str, key: str, body: bytes
) -> Replay | None:
    row = (
        await conn.execute(
            sa.select(table.c.fingerprint, table.c.status, table.c.response).where(
                table.c.plaza_id == plaza_id, table.c.scope == _scope(scope), table.c.key == key
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
            scope=_scope(scope),
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
