"""The intake service under test, seeded by archive's events, and helpers to read its stream.
(Imported by the intake test modules; not collected itself.)"""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from libs.contracts.events import DECODERS, Occupant, PlazaRegistered, UnitRegistered
from tests.support.harness import client_for, eventually, served_here, service_settings
from services.intake.app import create_app
from services.intake.settings import Settings

UNITS = ("A-203", "B-101", "B-102", "B-103")


@pytest.fixture
async def intake(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await seed(bus, client)
        yield client


@pytest.fixture
async def intake_settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    """Settings for ``served``, which a test enters itself."""
    await bus.declare_streams("archive")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)


@asynccontextmanager
async def served(settings, bus, units=UNITS):
    """Intake, knowing plaza p1's units, with a client whose requests really overlap
    (``served_here``)."""
    async with served_here(create_app(settings), "http://intake") as client:
        await seed(bus, client, units)
        yield client


async def seed(bus, client, units=UNITS) -> None:
    """Plaza p1 and its units, as archive publishes them; returns once intake knows them."""
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
    for unit in units:
        await bus.publish(
            UnitRegistered(
                plaza_id="p1", correlation_id="seed", unit=unit, revision=1, area_m2=80.0,
                use="shop", occupant=Occupant(name="Li Ming", kind="merchant", phone="138"),
            )
        )

    async def units_known():
        # Blank text is refused only once the unit is known (field "text", not "unit"),
        # so this waits without leaving a request behind.
        for unit in units:
            r = await client.post("/v1/plazas/p1/requests", json={"channel": "internal", "unit": unit, "text": " "})
            if r.json().get("field") != "text":
                return False
        return True

    await eventually(units_known, what="intake to learn the units from archive")


async def intake_events(bus, type_name: str | None = None) -> list:
    events = [DECODERS["intake"].decode(m.data) for m in await bus.messages("INTAKE")]
    return [e for e in events if type_name is None or type(e).__name__ == type_name]


async def wait_for_events(bus, type_name: str, count: int, **match) -> list:
    async def probe():
        found = [
            e for e in await intake_events(bus, type_name)
            if all(getattr(e, k) == v for k, v in match.items())
        ]
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} {type_name} on the INTAKE stream matching {match}")
