"""Intake's copy of archive's plazas and units (the tables are in tables.py): recorded from
archive's stream, and checked before a request, a booking or a permit is taken."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.intake.tables import plazas, units

KNOWN_UNITS_MAX = 200_000
# Units this replica has seen registered, per database: units are never removed from the
# register, so a unit once seen is remembered and the common case asks nothing.
known_units: dict[tuple, set] = {}


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as intake's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, plazas, units, events)


async def require_plaza(conn, plaza_id: str) -> None:
    if not await plaza_exists(conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")


async def require_unit(conn, plaza_id: str, unit: str) -> None:
    """Unit first: a known unit implies a known plaza."""
    known = known_units.setdefault(database_key(conn), set())
    if (plaza_id, unit) in known:
        return
    if await unit_exists(conn, plaza_id, unit):
        if len(known) >= KNOWN_UNITS_MAX:
            known.clear()
        known.add((plaza_id, unit))
        return
    await require_plaza(conn, plaza_id)
    raise InvalidInput(f"unit {unit!r} is not registered in plaza {plaza_id!r}", field="unit")


async def plaza_zone(conn, plaza_id: str):
    """The plaza's time zone as archive registered it (the default zone until it says)."""
    return await replica.plaza_zone_of(conn, plazas, plaza_id)


async def plaza_exists(conn: AsyncConnection, plaza_id: str) -> bool:
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    return (await conn.execute(q)).first() is not None


async def unit_exists(conn: AsyncConnection, plaza_id: str, unit: str) -> bool:
    q = sa.select(units.c.unit).where(units.c.plaza_id == plaza_id, units.c.unit == unit)
    return (await conn.execute(q)).first() is not None
