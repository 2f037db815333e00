"""Archive's tables: plazas, the unit register with its audit trail, documents, unit
timelines, and the projections of other services' events (renovation permits, defects)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db import UtcDateTime, insert_ignore, insert_ignore_many
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
    sa.Column("building", sa.String(64)),
    sa.Column("floor", sa.String(16)),
    sa.Column("contacts", sa.JSON, nullable=True),
    sa.Column("handover_date", sa.Date),
    sa.Column("occupancy_date", sa.Date),
    sa.Column("contract_start", sa.Date),
    sa.Column("contract_end", sa.Date),
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
    # The fact the event tells (domain.fact_key), unique in its plaza: the same fact sent
    # again under a new event id is filed once. NULL: the event id is the only key (and
    # on entries filed before the column existed, until a rebuild).
    sa.Column("fact_key", sa.String(200), nullable=True),  # domain.FACT_KEY_LENGTH
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
    sa.Index("ux_timeline_plaza_fact", "plaza_id", "fact_key", unique=True),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.String(40), primary_key=True),
    sa.Column("plaza_id", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(128), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),  # relative to the data dir
    sa.Column("uploaded_by", sa.String(100), nullable=False),
    sa.Column("uploaded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_documents_plaza_unit", "plaza_id", "unit", "document_id"),
)

# Projections of intake's renovation events: rebuilt from the streams by a replay.
permits = sa.Table(
    "permits",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("permit_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # approved | closed
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_until", sa.Date),
    sa.Column("deposit_fen", sa.BigInteger),
    sa.Column("deduction_fen", sa.BigInteger),
    sa.Column("approved_at", UtcDateTime()),
    sa.Column("closed_at", UtcDateTime()),
    sa.Index("ix_permits_plaza_unit", "plaza_id", "unit"),
)

# Defects found at handover (intake) and the work orders that fix them (dispatch). The
# two streams arrive independently, so neither table assumes the other came first.
defects = sa.Table(
    "defects",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("defect_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("inspection_id", sa.String(40), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("location", sa.String(200)),
    sa.Column("responsible_party", sa.String(200), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("found_at", UtcDateTime(), nullable=False),
    sa.Index("ix_defects_plaza_unit", "plaza_id", "unit"),
)

defect_work_orders = sa.Table(
    "defect_work_orders",
    metadata,
    sa.Column("plaza_id", sa.String(64), primary_key=True),
    sa.Column("work_order_id", sa.String(40), primary_key=True),
    sa.Column("defect_id", sa.String(40), nullable=False),  # the work order's request id
    sa.Column("closed", sa.Boolean, nullable=False),
    # Orders the work order's closings and reopenings however late each one arrives.
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Index("ix_defect_work_orders_defect", "plaza_id", "defect_id"),
)

PROJECTIONS = (timeline, permits, defects, defect_work_orders)


# --- plazas ----------------------------------------------------------------------------


async def get_plaza(conn: AsyncConnection, plaza_id: str, *, for_update: bool = False):
    q = sa.select(plazas).where(plazas.c.plaza_id == plaza_id)
    if for_update and conn.dialect.name == "postgresql":
        # Held by whoever edits the plaza or creates units in it (see lock_plaza); SQLite's
        # single writer already serialises them.
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().first()


async def lock_plaza(conn: AsyncConnection, plaza_id: str) -> None:
    """A unit that does not exist yet has no row to lock: everyone who creates units in a
    plaza (a first PUT, an import) takes the plaza's row lock first, so two of them never
    both decide a unit is new and race to insert it."""
    await get_plaza(conn, plaza_id, for_update=True)


async def add_plaza(conn: AsyncConnection, row: dict) -> bool:
    """False when the plaza is already there: another first PUT of it committed meanwhile
    (on PostgreSQL this waits for that transaction, then skips)."""
    result = await conn.execute(insert_ignore(conn, plazas), row)
    return result.rowcount == 1


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
    await conn.execute(units.insert(), row)


async def update_unit(conn: AsyncConnection, plaza_id: str, unit: str, values: dict) -> None:
    await conn.execute(units.update().where(*_unit_key(plaza_id, unit)).values(**values))


async def list_units(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int):
    q = sa.select(units).where(units.c.plaza_id == plaza_id)
    if after:
        q = q.where(units.c.unit > after)
    return (await conn.execute(q.order_by(units.c.unit).limit(limit))).mappings().all()


async def all_units(conn: AsyncConnection, plaza_id: str, *, for_update: bool = False):
    q = sa.select(units).where(units.c.plaza_id == plaza_id).order_by(units.c.unit)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return (await conn.execute(q)).mappings().all()


async def add_units(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(units.insert(), rows)


async def update_units(conn: AsyncConnection, plaza_id: str, rows: list[dict]) -> None:
    """One statement for many units; each row names its unit as ``key_unit``."""
    if rows:
        q = units.update().where(units.c.plaza_id == plaza_id, units.c.unit == sa.bindparam("key_unit"))
        await conn.execute(q, rows)


async def add_revision(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(unit_revisions.insert(), row)


async def add_revisions(conn: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        await conn.execute(unit_revisions.insert(), rows)


async def revision_of_event(conn: AsyncConnection, plaza_id: str, event_id: str):
    r = unit_revisions
    q = sa.select(r).where(r.c.plaza_id == plaza_id, r.c.event_id == event_id)
    return (await conn.execute(q)).mappings().first()


async def list_revisions(conn: AsyncConnection, plaza_id: str, unit: str, *, after: int | None, limit: int):
    r = unit_revisions
    q = sa.select(r).where(r.c.plaza_id == plaza_id, r.c.unit == unit)
    if after is not None:
        q = q.where(r.c.revision > after)
    return (await conn.execute(q.order_by(r.c.revision).limit(limit))).mappings().all()


# --- timeline --------------------------------------------------------------------------


async def add_timeline_entry(conn: AsyncConnection, row: dict) -> bool:
    """False when the event, or its fact, is already on a timeline."""
    result = await conn.execute(insert_ignore(conn, timeline), row)
    return result.rowcount == 1


async def list_timeline(
    conn: AsyncConnection,
    plaza_id: str,
    unit: str,
    *,
    types: list[str] | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    after: tuple[dt.datetime, str] | None,
    limit: int,
):
    t = timeline
    q = sa.select(
        t.c.event_id, t.c.type, t.c.occurred_at, t.c.summary, t.c.source, t.c.correlation_id
    ).where(t.c.plaza_id == plaza_id, t.c.unit == unit)
    if types is not None:  # [] matches nothing: a filter that excludes every type
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


async def add_timeline_entries(conn: AsyncConnection, rows: list[dict]) -> None:
    """One multi-row insert for a batch (measured: faster than executemany on SQLite); an
    event already on a timeline, or another event of the same fact, is left as it is."""
    await insert_ignore_many(conn, timeline, rows, ("event_id",))


async def get_timeline_entry(conn: AsyncConnection, plaza_id: str, unit: str, event_id: str):
    t = timeline
    q = sa.select(t).where(t.c.plaza_id == plaza_id, t.c.unit == unit, t.c.event_id == event_id)
    return (await conn.execute(q)).mappings().first()

