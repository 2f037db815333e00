"""The units an audience names, as notices' copies of the facts stand now."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime import replica
from services.notices import tables
from services.notices.audiences import domain, store
from services.notices.audiences.domain import Audience


async def plaza_today(conn: AsyncConnection, plaza_id: str, now: dt.datetime) -> dt.date:
    return now.astimezone(await replica.plaza_zone_of(conn, tables.plazas, plaza_id)).date()


async def overdue_days_by_unit(conn: AsyncConnection, plaza_id: str, today: dt.date) -> dict[str, int]:
    """Each unit with a debt past due, and by how many days its oldest unpaid one is."""
    zone = await replica.plaza_zone_of(conn, tables.plazas, plaza_id)
    by_unit: dict[str, list[domain.Due]] = defaultdict(list)
    for r in await store.plaza_dues(conn, plaza_id):
        by_unit[r["unit"]].append(domain.Due(
            entry_id=r["entry_id"], direction=r["direction"], amount_fen=r["amount_fen"], due_date=r["due_date"],
            occurred_at=r["occurred_at"], reverses_entry_id=r["reverses_entry_id"]))
    out = {}
    for unit, entries in by_unit.items():
        days = domain.overdue_days(domain.oldest_unpaid_due(entries, zone), today)
        if days is not None:
            out[unit] = days
    return out


async def select_units(conn: AsyncConnection, plaza_id: str, audience: Audience, now: dt.datetime) -> list[dict]:
    """The units of the plaza in the audience, in unit order, each with its facts."""
    overdue = {}
    if audience.arrears_over_days is not None:
        overdue = await overdue_days_by_unit(conn, plaza_id, await plaza_today(conn, plaza_id, now))
    renovating = await store.renovating_units(conn, plaza_id) if audience.open_renovation is not None else set()
    affected = await store.work_order_units(conn, plaza_id, audience.work_order_id)
    chosen = []
    for row in await store.plaza_units(conn, plaza_id):
        row["building"] = domain.building_of(row["unit"], row["building"])
        row["floor"] = domain.floor_of(row["unit"], row["floor"])
        facts = domain.UnitFacts(unit=row["unit"], building=row["building"], floor=row["floor"],
                                 occupant_kind=row["occupant_kind"], key_account=bool(row["key_account"]))
        if domain.passes(audience, facts, overdue_days=overdue.get(row["unit"]), renovating=row["unit"] in renovating,
                         work_order_units=affected):
            chosen.append(row)
    return chosen
