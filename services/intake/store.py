"""Intake's tables: requests, and its own copy of the plazas and units archive publishes."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime.db import UtcDateTime
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import idempotency
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)
idempotency_keys = idempotency.add_table(metadata)

plazas = sa.Table(
    "plazas",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)

units = sa.Table(
    "units",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
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
)


async def plaza_exists(conn: AsyncConnection, plaza_id: str) -> bool:
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).first() is not None


async def unit_exists(conn: AsyncConnection, plaza_id: str, unit: str) -> bool:
    q = sa.select(units.c.unit).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
    return (await conn.execute(q)).first() is not None


async def upsert_plaza(conn: AsyncConnection, plaza_id: str, name: str) -> None:
    updated = await conn.execute(
        plazas.update().where(plazas.c.plaza_id == plaza_id).values(name=name)
    )
    if updated.rowcount == 0:
        await conn.execute(plazas.insert().values(plaza_id=plaza_id, name=name))


async def upsert_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    """Keeps the newest revision; an older one arriving late changes nothing."""
    current = (
        await conn.execute(
            sa.select(units.c.revision).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
        )
    ).scalar_one_or_none()
    if current is None:
        await conn.execute(units.insert().values(plaza_id=plaza_id, unit=unit, **values))
    elif values["revision"] > current:
        await conn.execute(
            units.update().where(units.c.plaza_id == plaza_id, units.c.unit == unit).values(**values)
        )


async def add_request(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(requests.insert().values(**row))


async def get_request(conn: AsyncConnection, plaza_id: str, request_id: str):
    q = sa.select(requests).where(requests.c.plaza_id == plaza_id, requests.c.id == request_id)
    return (await conn.execute(q)).mappings().first()


async def list_requests(conn: AsyncConnection, plaza_id: str, *, unit: str | None, kind: str | None, after: str | None, limit: int):
    q = sa.select(requests).where(requests.c.plaza_id == plaza_id)
    if unit:
        q = q.where(requests.c.unit == unit)
    if kind:
        q = q.where(requests.c.kind == kind)
    if after:
        q = q.where(requests.c.id > after)
    q = q.order_by(requests.c.id).limit(limit)
    return (await conn.execute(q)).mappings().all()
