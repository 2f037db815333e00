"""Archive's plaza and unit facts, published as archive publishes them, for the tests of the
services that keep a copy: a consumer applies nothing for a plaza or unit archive has not
registered. (Imported by test modules; not collected itself.)"""

from __future__ import annotations

from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from tests.support.harness import archive_taken


def plaza_registered(plaza: str, *, timezone: str = "Asia/Shanghai") -> PlazaRegistered:
    return PlazaRegistered(plaza_id=plaza, correlation_id="seed", name=f"Plaza {plaza}", timezone=timezone)


def unit_registered(plaza: str, unit: str, *, revision: int = 1, **facts) -> UnitRegistered:
    facts = {"area_m2": 80.0, "use": "shop", "occupant": Occupant(name="Li Ming", kind="merchant", phone="138"), **facts}
    return UnitRegistered(plaza_id=plaza, correlation_id="seed", unit=unit, revision=revision, **facts)


async def register(bus, plaza: str, *units: str, known_by: str | None = None, timezone: str = "Asia/Shanghai") -> None:
    """Plaza ``plaza`` and its ``units`` on the ARCHIVE stream; with ``known_by`` (a service
    whose consumer is attached), returns once that service has kept them."""
    await bus.publish(plaza_registered(plaza, timezone=timezone))
    for unit in units:
        await bus.publish(unit_registered(plaza, unit))
    if known_by:
        await archive_taken(bus, known_by)

