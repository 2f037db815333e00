"""An event the broker refuses (over nats-server's max_payload) does not stop intake: the
requests after it still become work orders in dispatch, without a restart, and the
refused event is set aside where an operator finds it.

Intake and dispatch run in this process against a nats-server with a small max_payload
(the same refusal as the real 8 MB limit, without moving megabytes). The oversized
requests are made through intake's use cases, both ways in: limits at the HTTP edge
refuse such a body before it gets that far."""

from __future__ import annotations

import asyncio
import re

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from tests.support.harness import Bus, eventually, served_here, service_settings
from services.dispatch.app import create_app as create_dispatch
from services.dispatch.settings import Settings as DispatchSettings
from services.intake.requests import services as intake_services
from services.intake.app import create_app as create_intake
from services.intake.settings import Settings as IntakeSettings
from test_broker_faults import MAX_PAYLOAD, SmallNats

UNITS = ("A-203", "B-110")


@pytest.fixture
def nats(tmp_path):
    server = SmallNats(tmp_path / "nats").start(tmp_path / "nats.log")
    yield server
    server.stop()


async def test_after_an_oversized_event_is_refused_the_next_100_requests_each_become_a_work_order(
    nats, db_kind, tmp_path, cleanup_schemas
):
    async with Bus(nats.url) as bus:
        await bus.declare_streams("archive", "survey", "staff", "notices")
        settings = dict(nats_url=nats.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
        intake_app = create_intake(service_settings(IntakeSettings, **settings))
        async with served_here(intake_app, "http://intake") as intake:
            async with served_here(create_dispatch(service_settings(DispatchSettings, **settings)), "http://dispatch") as dispatch:
                await seed(bus, intake)
                runtime = intake_app.dependencies["runtime"].dependency()
                before = await set_aside_metric(intake)

                huge = intake_services.RequestCreate(channel="phone", unit="A-203", text="x" * (MAX_PAYLOAD + 1000))
                direct = await intake_services.receive_request_published(runtime, "p1", huge, actor="clerk")
                stored = await runtime.grouped(
                    intake_services.receive_request, "p1", huge, actor="clerk", idempotency_key="huge-call")

                answers = await asyncio.gather(*(
                    intake.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": UNITS[i % 2], "text": f"ceiling light {i} broken"},
                                headers={"Idempotency-Key": f"call-{i}"} if i % 2 else {})
                    for i in range(100)
                ))
                assert [a.status_code for a in answers] == [202] * 100
                wanted = {a.json()["id"] for a in answers}

                async def work_orders() -> set[str]:
                    items = (await dispatch.get("/v1/plazas/p1/work-orders", params={"limit": 500})).json()["items"]
                    return {w["request_id"] for w in items}

                await eventually(lambda: _covers(work_orders(), wanted), timeout=10, what="a work order for each of the 100 requests")

                table = runtime.metadata.tables["failed_events"]
                async with runtime.read() as conn:
                    aside = (await conn.execute(sa.select(table.c.event_type, table.c.reason, table.c.payload))).all()
                assert sorted(request_ids(aside)) == sorted([direct.id, stored.id])
                assert all(r.event_type == "RequestReceived" and "max_payload" in r.reason for r in aside)
                assert await set_aside_metric(intake) == before + 2
                assert not {direct.id, stored.id} & await work_orders()
                nc = runtime.broker.nc
                assert nc.is_connected and nc.stats["reconnects"] == 0  # never dropped: no restart, no reconnect
                assert (await intake.get("/health")).status_code == 200


def request_ids(rows) -> list[str]:
    return [msgspec.json.decode(r.payload)["request_id"] for r in rows]


async def set_aside_metric(client) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(r'^plazadesk_outbox_set_aside_total\{service="intake"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


async def seed(bus, intake) -> None:
    """Plaza p1 and its units as archive publishes them; returns once intake knows them."""
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
    for unit in UNITS:
        await bus.publish(UnitRegistered(
            plaza_id="p1", correlation_id="seed", unit=unit, revision=1, area_m2=80.0, use="shop",
            occupant=Occupant(name="Li Ming", kind="merchant", phone="138"),
        ))

    async def units_known():  # blank text is refused only once the unit is known
        for unit in UNITS:
            r = await intake.post("/v1/plazas/p1/requests", json={"channel": "internal", "unit": unit, "text": " "})
            if r.json().get("field") != "text":
                return False
        return True

    await eventually(units_known, what="intake to learn the units from archive")


async def _covers(coro, wanted: set[str]) -> bool:
    return wanted <= await coro
