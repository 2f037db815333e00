"""Billing's copy of archive's plazas and units (the tables are in tables.py): recorded
from archive's events, checked before money moves for them, and read for a plaza's time
zone and a unit's use, area and occupant."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts.events import UnitRegistered
from libs.runtime import replica
from libs.runtime.uow import Tx
from services.billing.tables import plazas, units


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as billing's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, plazas, units, events, unit_extra=_billing_facts)


async def require_known_facts(tx: Tx, events: list) -> None:
    """Nothing is charged or held for a plaza or unit archive has not registered
    (UnknownFact: the consumer waits for archive's facts a while, then dead-letters it)."""
    await replica.require_known(tx.conn, plazas, units, events)


def _billing_facts(event: UnitRegistered) -> dict:
    return {"occupancy_date": occupancy_date(event.occupancy_date)}


def occupancy_date(value: object) -> dt.date | None:
    """Archive's optional occupancy date, whatever shape it arrives in; junk is ignored."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


async def plaza_zone(conn: AsyncConnection, plaza_id: str) -> dt.tzinfo:
    """The zone a plaza's days are counted in (the default one for a plaza not known yet)."""
    return await replica.plaza_zone_of(conn, plazas, plaza_id)


async def plaza_zones(conn: AsyncConnection, plaza_ids) -> dict[str, dt.tzinfo]:
    return await replica.plaza_zones(conn, plazas, plaza_ids)


async def get_unit(conn: AsyncConnection, plaza_id: str, unit: str):
    q = sa.select(units).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
    return (await conn.execute(q)).first()


async def units_of(conn: AsyncConnection, plaza_id: str):
    q = sa.select(units).where(units.c.plaza_id == plaza_id)
    return (await conn.execute(q)).all()


async def plaza_name(conn: AsyncConnection, plaza_id: str) -> str:
    """The plaza's name as archive registered it (its id where archive has not said)."""
    q = sa.select(plazas.c.name).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).scalar_one_or_none() or plaza_id
