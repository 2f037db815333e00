"""Intake's tables: requests, per-plaza rules, and its own copy of the plazas and units
archive publishes. (Move-in season's tables are in store_movein.py.)"""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import UtcDateTime, insert_ignore
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import idempotency
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)
idempotency_keys = idempotency.add_table(metadata)

# The zone counts the plaza's days ("a booking in the past"); NULL until archive says
# (a copy made before intake kept it), read as the default zone.
plazas = replica.plazas_table(metadata, sa.Column("timezone", sa.String(64)))

units = replica.units_table(
    metadata,
    sa.Column("occupant_name", sa.String(200)),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
)

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("kind_reason", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(8)),
    sa.Column("severity_reason", sa.String(200)),
    sa.Column("praised_department", sa.String(64)),
    sa.Column("source_department", sa.String(64)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_phone", sa.String(64)),
    sa.Column("serviceable", sa.Boolean, nullable=False),
    sa.Column("referral", sa.String(200)),
    sa.Column("major", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("received_by", sa.String(100)),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_requests_plaza_unit", "plaza_id", "unit"),
    sa.Index("ix_requests_plaza_received", "plaza_id", "received_at"),
)

# A plaza's own rule documents ("classification-rules", "referrals"); none → the defaults.
plaza_rules = sa.Table(
    "plaza_rules",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("document", sa.LargeBinary, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


async def plaza_exists(conn: AsyncConnection, plaza_id: str) -> bool:
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).first() is not None


async def unit_exists(conn: AsyncConnection, plaza_id: str, unit: str) -> bool:
    q = sa.select(units.c.unit).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
    return (await conn.execute(q)).first() is not None


async def add_request(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(requests.insert(), row)


async def get_request(conn: AsyncConnection, plaza_id: str, request_id: str):
    q = sa.select(requests).where(requests.c.plaza_id == plaza_id, requests.c.id == request_id)
    return (await conn.execute(q)).mappings().first()


async def list_requests(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int, **filters):
    """Oldest first by id (time-ordered); ``filters``: column=value, plus since/until."""
    c = requests.c
    q = sa.select(requests).where(c.plaza_id == plaza_id)
    since, until = filters.pop("since", None), filters.pop("until", None)
    for name, value in filters.items():
        if value is not None:
            q = q.where(c[name] == value)
    if since is not None:
        q = q.where(c.received_at >= since)
    if until is not None:
        q = q.where(c.received_at < until)
    if after:
        q = q.where(c.id > after)
    q = q.order_by(c.id).limit(limit)
    return (await conn.execute(q)).mappings().all()


async def get_rules(conn: AsyncConnection, plaza_id: str) -> dict:
    """Every rule document the plaza has set, by name, in one query."""
    q = sa.select(plaza_rules).where(plaza_rules.c.plaza_id == plaza_id)
    return {row["name"]: row for row in (await conn.execute(q)).mappings()}


async def put_rules(conn: AsyncConnection, plaza_id: str, name: str, document: bytes, by: str, at) -> None:
    t = plaza_rules
    values = {"document": document, "updated_by": by, "updated_at": at}
    inserted = await conn.execute(insert_ignore(conn, t).values(plaza_id=plaza_id, name=name, **values))
    if inserted.rowcount == 0:
        await conn.execute(t.update().where(t.c.plaza_id == plaza_id, t.c.name == name).values(**values))
