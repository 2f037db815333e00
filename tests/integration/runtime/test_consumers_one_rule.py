"""Every consumer of an event applies the same rule to it: archive, dispatch, billing and
survey running together on one nats-server, archive registering the plazas and units as a
clerk would. An event about a plaza or unit archive never registered is applied by none
of them (each waits a while for archive's facts, then dead-letters it with the reason);
an event whose facts come a moment late is applied by all; an invalid event (a negative
amount) is dead-lettered by every consumer and applied by none."""

from __future__ import annotations

from contextlib import AsyncExitStack

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from libs.contracts import new_event_id
from libs.contracts.events import (
    DECODERS, ChargeLine, ChargePosted, RequestReceived, VisitScheduled, WorkOrderClosed, WorkOrderCreated,
)
from libs.contracts.subjects import DEAD_LETTER_STREAM
from tests.support.harness import client_for, eventually, service_settings
from services.archive.app import create_app as archive_app
from services.archive.settings import Settings as ArchiveSettings
from services.billing.app import create_app as billing_app
from services.billing.settings import Settings as BillingSettings
from services.dispatch.app import create_app as dispatch_app
from services.dispatch.settings import Settings as DispatchSettings
from services.survey.app import create_app as survey_app
from services.survey.settings import Settings as SurveySettings

UNIT = {"area_m2": 80.0, "use": "shop", "occupant": {"name": "Li Ming Tea", "kind": "merchant"}}
# The consumers of a close, and what each makes of one it applies.
CLOSE_CONSUMERS = {"billing-work-order-closed", "survey-work-order-closed", "archive-dispatch"}


class Desk(msgspec.Struct):
    archive: AsyncTestClient
    billing: AsyncTestClient
    survey: AsyncTestClient
    dispatch: AsyncTestClient


@pytest.fixture(params=[3.0])
async def desk(request, bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    """The four services, each waiting ``request.param`` seconds for archive's facts;
    plaza p1 with unit A-1 registered in archive and known to all of them."""
    # Archive consumes dispatch's stream and dispatch archive's: all are there before either starts.
    await bus.declare_streams()
    apps = {}
    for name, settings_cls, create_app in (
        ("archive", ArchiveSettings, archive_app), ("dispatch", DispatchSettings, dispatch_app),
        ("billing", BillingSettings, billing_app), ("survey", SurveySettings, survey_app),
    ):
        settings = service_settings(settings_cls, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                    schemas=cleanup_schemas, consumer_fact_wait_s=request.param)
        apps[name] = create_app(settings)
    async with AsyncExitStack() as stack:
        desk = Desk(**{name: await stack.enter_async_context(client_for(app)) for name, app in apps.items()})
        await register(desk, "p1", "A-1")
        yield desk


async def register(desk: Desk, plaza: str, unit: str) -> None:
    """As a clerk registers them in archive; returns once billing, survey and dispatch know them."""
    r = await desk.archive.put(f"/v1/plazas/{plaza}", json={"name": plaza, "timezone": "Asia/Shanghai"})
    assert r.status_code in (200, 201), r.text
    r = await desk.archive.put(f"/v1/plazas/{plaza}/units/{unit}", json=UNIT)
    assert r.status_code in (200, 201), r.text

    async def known():
        billing = await desk.billing.get(f"/v1/plazas/{plaza}/accounts/{unit}")
        routing = await desk.dispatch.put(f"/v1/plazas/{plaza}/routing-rules", json={"rules": []})
        return billing.status_code == 200 and routing.status_code == 200

    await eventually(known, what=f"billing and dispatch to learn unit {unit} of {plaza} from archive")


def closed(plaza: str, unit: str, wo: str, amount_fen: int = 5000) -> WorkOrderClosed:
    line = ChargeLine(line_id=f"{wo}:1", kind="labour", description="labour", quantity=1,
                      unit_price_fen=amount_fen, amount_fen=amount_fen)
    return WorkOrderClosed(plaza_id=plaza, correlation_id=f"req-{wo}", work_order_id=wo, request_id=f"req-{wo}",
                           unit=unit, department="engineering", paid=True, charge_lines=[line])


def received(plaza: str, unit: str) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(plaza_id=plaza, correlation_id=request_id, request_id=request_id, unit=unit,
                           channel="phone", kind="service", text="the drain is blocked")


async def dead_letters(bus, event_id: str) -> dict[str, str]:
    """The consumers that dead-lettered this event, with their reasons."""
    out = {}
    for m in await bus.messages(DEAD_LETTER_STREAM):
        if msgspec.json.decode(m.data)["id"] == event_id:
            out[m.headers["PlazaDesk-Consumer"]] = m.headers["PlazaDesk-Reason"]
    return out


async def dead_lettered_by(bus, event_id: str, consumers: set[str]) -> dict[str, str]:
    async def probe():
        found = await dead_letters(bus, event_id)
        return found if set(found) >= consumers else None

    return await eventually(probe, timeout=20, what=f"{event_id} dead-lettered by {sorted(consumers)}")


async def announced(bus, stream: str, cls, **fields) -> list:
    service = stream.lower()
    events = [DECODERS[service].decode(m.data) for m in await bus.messages(stream)]
    return [e for e in events if isinstance(e, cls) and all(getattr(e, k) == v for k, v in fields.items())]


async def charged(desk: Desk, plaza: str, unit: str, wo: str) -> list[dict]:
    r = await desk.billing.get(f"/v1/plazas/{plaza}/accounts/{unit}")
    return [e for e in r.json()["entries"] if e.get("work_order_id") == wo] if r.status_code == 200 else []


async def visits(desk: Desk, plaza: str, wo: str) -> list[dict]:
    r = await desk.survey.get(f"/v1/plazas/{plaza}/visits", params={"work_order_id": wo})
    return r.json()["items"] if r.status_code == 200 else []


async def on_timeline(desk: Desk, plaza: str, unit: str, wo: str) -> list[dict]:
    r = await desk.archive.get(f"/v1/plazas/{plaza}/units/{unit}/timeline", params={"limit": 1000})
    if r.status_code != 200:
        return []
    entries = [await desk.archive.get(f"/v1/plazas/{plaza}/units/{unit}/timeline/{i['event_id']}") for i in r.json()["items"]]
    return [e.json() for e in entries if e.json()["event"].get("work_order_id") == wo]


async def applied_by_all(desk: Desk, plaza: str, unit: str, wo: str) -> bool:
    return bool(await charged(desk, plaza, unit, wo) and await visits(desk, plaza, wo)
                and await on_timeline(desk, plaza, unit, wo))


async def test_a_close_for_a_plaza_archive_never_registered_is_applied_by_no_consumer(desk, bus):
    ghost = closed("ghost-plaza", "A-1", "wo-ghost")
    await bus.publish(ghost)
    reasons = await dead_lettered_by(bus, ghost.id, CLOSE_CONSUMERS)
    assert all("plaza 'ghost-plaza' is not registered" in reason for reason in reasons.values()), reasons

    assert await announced(bus, "BILLING", ChargePosted, plaza_id="ghost-plaza") == []
    assert await announced(bus, "SURVEY", VisitScheduled, plaza_id="ghost-plaza") == []


async def test_a_close_for_a_unit_archive_never_registered_is_applied_by_no_consumer(desk, bus):
    stray = closed("p1", "Z-9", "wo-stray")
    await bus.publish(stray)
    reasons = await dead_lettered_by(bus, stray.id, CLOSE_CONSUMERS)
    assert all("unit 'Z-9' is not registered in plaza 'p1'" in reason for reason in reasons.values()), reasons
    assert await announced(bus, "BILLING", ChargePosted, work_order_id="wo-stray") == []
    assert await announced(bus, "SURVEY", VisitScheduled, work_order_id="wo-stray") == []


async def test_a_request_for_a_plaza_archive_never_registered_opens_no_work_order(desk, bus):
    ghost = received("ghost-plaza", "A-1")
    await bus.publish(ghost)
    reasons = await dead_lettered_by(bus, ghost.id, {"dispatch-request-received"})
    assert "plaza 'ghost-plaza' is not registered" in reasons["dispatch-request-received"]
    assert await announced(bus, "DISPATCH", WorkOrderCreated, plaza_id="ghost-plaza") == []


@pytest.mark.parametrize("desk", [10.0], indirect=True)
async def test_a_close_whose_unit_archive_registers_a_moment_later_is_applied_by_all(desk, bus):
    early = closed("p1", "B-2", "wo-early")
    await bus.publish(early)  # B-2 is not registered yet: every consumer holds the close back

    async def held_back():
        infos = [await bus.js.consumer_info("DISPATCH", durable) for durable in CLOSE_CONSUMERS]
        return all(i.num_redelivered >= 1 for i in infos)

    await eventually(held_back, what="the consumers to hold the close back")
    await register(desk, "p1", "B-2")
    await eventually(lambda: applied_by_all(desk, "p1", "B-2", "wo-early"), what="the close charged, visited and filed")
    assert await dead_letters(bus, early.id) == {}


@pytest.mark.parametrize("desk", [60.0], indirect=True)
async def test_an_event_waiting_for_its_facts_holds_back_nothing_behind_it(desk, bus):
    """The ghost waits a minute for archive's facts; the events of its batch do not."""
    ghost, request = closed("ghost-plaza", "A-1", "wo-ghost"), received("ghost-plaza", "A-1")
    valid = closed("p1", "A-1", "wo-valid")
    for event in (ghost, request, valid):
        await bus.publish(event)
    await bus.publish(received("p1", "A-1"))
    await eventually(lambda: applied_by_all(desk, "p1", "A-1", "wo-valid"), what="the close behind the ghost applied")
    await eventually(lambda: announced(bus, "DISPATCH", WorkOrderCreated, plaza_id="p1"), what="the request behind the ghost")
    assert await dead_letters(bus, ghost.id) == {}  # still waiting


async def test_a_negative_amount_is_dead_lettered_by_every_consumer_and_applied_by_none(desk, bus):
    # msgspec builds and encodes what it is given: a producer that let it through publishes this.
    negative = closed("p1", "A-1", "wo-negative", amount_fen=-5000)
    await bus.publish(negative)
    valid = closed("p1", "A-1", "wo-after")
    await bus.publish(valid)

    reasons = await dead_lettered_by(bus, negative.id, CLOSE_CONSUMERS)
    assert all("undecodable" in reason and ">= 0" in reason and "charge_lines[0]" in reason
               for reason in reasons.values()), reasons
    await eventually(lambda: applied_by_all(desk, "p1", "A-1", "wo-after"), what="the close behind it applied")
    assert await charged(desk, "p1", "A-1", "wo-negative") == []
    assert await visits(desk, "p1", "wo-negative") == []
    assert await on_timeline(desk, "p1", "A-1", "wo-negative") == []


async def test_the_same_close_sent_again_under_a_new_event_id_is_filed_once(desk, bus):
    first = closed("p1", "A-1", "wo-twice")
    again = msgspec.structs.replace(first, id=new_event_id())
    await bus.publish(first)
    await bus.publish(again)
    await bus.publish(closed("p1", "A-1", "wo-behind"))
    await eventually(lambda: applied_by_all(desk, "p1", "A-1", "wo-behind"), what="the close behind the copy")

    assert [e["type"] for e in await on_timeline(desk, "p1", "A-1", "wo-twice")] == ["WorkOrderClosed"]
    assert len(await charged(desk, "p1", "A-1", "wo-twice")) == 1
    assert len(await visits(desk, "p1", "wo-twice")) == 1
