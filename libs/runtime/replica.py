"""Each service keeps its own copy of the facts other services publish (plazas and units
from archive). The tables are the service's own; the way they are kept is the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts.events import PlazaRegistered, UnitRegistered, plaza_zone
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import UnknownFact


def plaza_facts(event: PlazaRegistered) -> dict:
    return {"plaza_id": event.plaza_id, "name": event.name, "timezone": event.timezone}


def unit_facts(event: UnitRegistered) -> dict:
    """Every fact of a unit that a service's copy may keep (each keeps its own columns)."""
    o = event.occupant
    return {
        "plaza_id": event.plaza_id, "unit": event.unit, "revision": event.revision,
        "area_m2": event.area_m2, "use": event.use, "key_account": event.key_account,
        "occupant_name": o.name, "occupant_kind": o.kind, "occupant_phone": o.phone,
    }


async def keep_archive_facts(
    conn: AsyncConnection, plazas: sa.Table, units: sa.Table, events: list,
    unit_extra: Callable[[UnitRegistered], dict] | None = None,
) -> None:
    """A batch of archive's events into a service's copy: plazas (the latest wins), then
    units (an older revision never replaces a newer), one statement each. Each table keeps
    the facts it has columns for; ``unit_extra`` adds what a service derives itself."""
    kept = set(plazas.c.keys())
    registered = [e for e in events if isinstance(e, PlazaRegistered)]
    await _upsert_many(conn, plazas, ["plaza_id"], [
        {k: v for k, v in plaza_facts(e).items() if k in kept} for e in registered])
    _zones.forget(database_key(conn), {e.plaza_id for e in registered})
    kept = set(units.c.keys())
    await upsert_newest_many(conn, units, ["plaza_id", "unit"], [
        {k: v for k, v in (unit_facts(e) | (unit_extra(e) if unit_extra else {})).items() if k in kept}
        for e in events if isinstance(e, UnitRegistered)])


# A batch of closes, a booking, a report: each needs its plaza's zone, which almost never
# changes (PlazaCache; this replica forgets one the moment it keeps a new PlazaRegistered).
_zones: PlazaCache[str] = PlazaCache()


async def plaza_zones(conn: AsyncConnection, plazas: sa.Table, plaza_ids: Iterable[str]) -> dict[str, dt.tzinfo]:
    """The zone each plaza counts its days in, from the service's copy of plazas (a plaza
    not copied yet, or copied without a zone, is in the default one)."""
    async def load(missing: list[str]) -> dict[str, str]:
        q = sa.select(plazas.c.plaza_id, plazas.c.timezone).where(plazas.c.plaza_id.in_(missing))
        return {r.plaza_id: r.timezone for r in await conn.execute(q)}

    plaza_ids = set(plaza_ids)
    names = await _zones.many(database_key(conn), plaza_ids, load) if plaza_ids else {}
    return {p: plaza_zone(names.get(p)) for p in plaza_ids}


async def plaza_zone_of(conn: AsyncConnection, plazas: sa.Table, plaza_id: str) -> dt.tzinfo:
    return (await plaza_zones(conn, plazas, [plaza_id]))[plaza_id]


async def upsert_newest_many(conn: AsyncConnection, table: sa.Table, key: list[str], rows: list[dict]) -> None:
    """A batch in one statement: each row is inserted, or replaces the stored one only if
    its ``revision`` is newer (rows are applied in order, so two revisions of one unit in a
    batch end with the newest whatever their order)."""
    await _upsert_many(conn, table, key, rows, newer_only=True)


async def _upsert_many(conn: AsyncConnection, table: sa.Table, key: list[str], rows: list[dict], *,
                       newer_only: bool = False) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    changing = [c for c in rows[0] if c not in key]
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_={c: stmt.excluded[c] for c in changing},
        where=(stmt.excluded.revision > table.c.revision) if newer_only else None,
    )
    await conn.execute(stmt, rows)


def plazas_table(metadata: sa.MetaData, *extra: sa.Column) -> sa.Table:
    """A service's copy of the plazas archive registers, with the facts it needs."""
    return sa.Table(
        "plazas",
        metadata,
        sa.Column("plaza_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        *extra,
    )


def units_table(metadata: sa.MetaData, *extra: sa.Column) -> sa.Table:
    """A service's copy of archive's units: key, the revision ``upsert_newest`` compares,
    and whichever unit facts the service needs."""
    return sa.Table(
        "units",
        metadata,
        sa.Column("plaza_id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        *extra,
    )


# Per database, the plazas and (plaza, unit) pairs found in its copy. Archive never removes
# a plaza or a unit, so what was once known stays known: a batch's events are checked
# against this set, and the database is asked only about what is not in it yet.
_known: dict[tuple, set] = {}


async def require_known(conn: AsyncConnection, plazas: sa.Table, units: sa.Table, events: list) -> None:
    """Every event's plaza, and its unit if it names one, must be in the service's copy of
    archive's facts; else ``UnknownFact`` names the first that is not (the consumer waits
    for archive's fact a while, then dead-letters the event)."""
    for reason in await unknown_facts(conn, plazas, units, events):
        if reason is not None:
            raise UnknownFact(reason)


async def unknown_facts(conn: AsyncConnection, plazas: sa.Table, units: sa.Table, events: list) -> list[str | None]:
    """For each event, None if its plaza (and its unit, if it names one) is in the copy,
    else what is missing. One query for the plazas and one for the units not known yet."""
    known = _known.setdefault(database_key(conn), set())
    missing_plazas = {e.plaza_id for e in events} - known
    missing_units = {(e.plaza_id, e.unit_id) for e in events if e.unit_id is not None} - known
    if missing_plazas:
        q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id.in_(sorted(missing_plazas)))
        known.update((await conn.execute(q)).scalars())
    if missing_units:
        q = sa.select(units.c.plaza_id, units.c.unit).where(
            units.c.plaza_id.in_(sorted({p for p, _ in missing_units})),
            units.c.unit.in_(sorted({u for _, u in missing_units})))
        known.update((p, u) for p, u in await conn.execute(q))
    if missing_plazas <= known and missing_units <= known:
        return [None] * len(events)  # the usual case: all known, no event to look at again
    return [_missing(e, known) for e in events]


def _missing(event, known: set) -> str | None:
    if event.plaza_id not in known:
        return f"plaza {event.plaza_id!r} is not registered"
    if event.unit_id is not None and (event.plaza_id, event.unit_id) not in known:
        return f"unit {event.unit_id!r} is not registered in plaza {event.plaza_id!r}"
    return None
