"""Public areas: the plaza's list (or the defaults), read and replaced; the ids a request
may name instead of a unit."""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.contracts import utcnow
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.intake import facts
from services.intake.areas import domain, store


class PublicAreasView(domain.PublicAreas, frozen=True, kw_only=True):
    """The list with where it came from ("default" until the plaza sets its own)."""

    source: Literal["default", "plaza"]
    updated_by: str | None = None
    updated_at: str | None = None


async def areas_of(conn, plaza_id: str) -> PublicAreasView:
    row = await store.get_areas(conn, plaza_id)
    if row is None:
        return PublicAreasView(items=domain.DEFAULT_AREAS.items, source="default")
    items = msgspec.json.decode(row["items"], type=list[domain.PublicArea])
    return PublicAreasView(items=items, source="plaza", updated_by=row["updated_by"], updated_at=iso(row["updated_at"]))


async def area_ids(conn, plaza_id: str) -> frozenset[str]:
    return (await areas_of(conn, plaza_id)).ids()


async def set_areas(tx: Tx, plaza_id: str, areas: domain.PublicAreas, *, actor: str) -> PublicAreasView:
    await facts.require_plaza(tx.conn, plaza_id)
    domain.check_areas(areas)
    at = utcnow()
    await store.put_areas(tx.conn, plaza_id, msgspec.json.encode(areas.items), actor, at)
    return PublicAreasView(items=areas.items, source="plaza", updated_by=actor, updated_at=iso(at))
