"""Archive's tables: plazas, the unit register with its audit trail, and unit timelines."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore
from libs.runtime.outbox import add_runtime_tables

metadata = sa.MetaData()
outbox, inbox = add_runtime_tables(metadata)

plazas = sa.Table(
    "plazas",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

units = sa.Table(
    "units",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("use", sa.String(16), nullable=False),
    sa.Column("occupant_name", sa.String(200), nullable=False),
    sa.Column("occupant_kind", sa.String(16), nullable=False),
    sa.Column("occupant_phone", sa.String(64)),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

unit_revisions = sa.Table(
    "unit_revisions",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("who", sa.String(100), nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=False),
)

timeline = sa.Table(
    "timeline",
    metadata,
    # Unique on its own: whichever stream or redelivery brings an event, it is filed once.
    sa.Column("event_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("correlation_id", sa.String(64), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("event", sa.JSON, nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_timeline_plaza_unit_order", "plaza_id", "unit", "occurred_at", "event_id"),
)


# --- plazas ----------------------------------------------------------------------------


async def get_plaza(conn: AsyncConnection, plaza_id: str):
    q = sa.select(plazas).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).mappings().first()


async def add_plaza(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(plazas.insert().values(**row))


async def update_plaza(conn: AsyncConnection, plaza_id: str, values: dict) -> None:
    await conn.execute(plazas.update().where(plazas.c.plaza_id == plaza_id).values(**values))


async def list_plazas(conn: AsyncConnection, *, after: str | None, limit: int):
    q = sa.select(plazas)
    if after:
        q = q.where(plazas.c.plaza_id > after)
    return (await conn.execute(q.order_by(plazas.c.plaza_id).limit(limit))).mappings().all()


# --- units -----------------------------------------------------------------------------


def _unit_key(plaza_id: str, unit: str):
    return (units.c.plaza_id == plaza_id, units.c.unit == unit)


async def get_unit(conn: AsyncConnection, plaza_id: str, unit: str, *, for_update: bool = False):
    q = sa.select(units).where(*_unit_key(plaza_id, unit))
    if for_update and conn.dialect.name == "postgresql":
        # Two clerks editing one unit at once must not both take the next revision.
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def add_unit(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(units.insert().values(**row))


async def update_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    await conn.execute(units.update().where(*_unit_key(plaza_id, unit)).values(**values))


async def list_units(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int):
    q = sa.select(units).where(units.c.plaza_id == plaza_id)
    if after:
        q = q.where(units.c.unit > after)
    return (await conn.execute(q.order_by(units.c.unit).limit(limit))).mappings().all()


async def add_revision(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(unit_revisions.insert().values(**row))


async def list_revisions(conn: AsyncConnection, plaza_id: str, unit: str, *, after: int | None, limit: int):
    r = unit_revisions
    q = sa.select(r).where(r.c.plaza_id == plaza_id, r.c.unit == unit)
    if after is not None:
        q = q.where(r.c.revision > after)
    return (await conn.execute(q.order_by(r.c.revision).limit(limit))).mappings().all()


# --- timeline --------------------------------------------------------------------------


async def add_timeline_entry(conn: AsyncConnection, row: dict) -> bool:
    """False when the event is already on a timeline."""
    result = await conn.execute(insert_ignore(conn, timeline), row)
    return result.rowcount == 1


async def list_timeline(
    conn: AsyncConnection,
    plaza_id: str,
    unit: str,
    *,
    types: list[str],
    since: dt.datetime | None,
    until: dt.datetime | None,
    after: tuple[dt.datetime, str] | None,
    limit: int,
):
    t = timeline
    q = sa.select(
        t.c.event_id, t.c.type, t.c.occurred_at, t.c.summary, t.c.source, t.c.correlation_id
    ).where(t.c.plaza_id == plaza_id, t.c.unit == unit)
    if types:
        q = q.where(t.c.type.in_(types))
    if since is not None:
        q = q.where(t.c.occurred_at >= since)
    if until is not None:
        q = q.where(t.c.occurred_at < until)
    if after is not None:
        at, event_id = after
        q = q.where(sa.or_(t.c.occurred_at > at, sa.and_(t.c.occurred_at == at, t.c.event_id > event_id)))
    q = q.order_by(t.c.occurred_at, t.c.event_id).limit(limit)
    return (await conn.execute(q)).mappings().all()


async def get_timeline_entry(conn: AsyncConnection, plaza_id: str, unit: str, event_id: str):
    t = timeline
    q = sa.select(t).where(t.c.plaza_id == plaza_id, t.c.unit == unit, t.c.event_id == event_id)
    return (await conn.execute(q)).mappings().first()
