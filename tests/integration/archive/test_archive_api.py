"""Archive against a real nats-server and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from libs.contracts.events import (
    ChargeLine,
    DepositHeld,
    DepositRefunded,
    PlazaRegistered,
    RefundIssued,
    RequestReceived,
    UnitRegistered,
    WorkOrderClosed,
    WorkOrderCreated,
)
from tests.support.harness import as_actor, bearer, client_for, eventually, service_settings
from services.archive.app import create_app
from services.archive.settings import Settings

UNIT = {
    "area_m2": 80.5,
    "use": "shop",
    "occupant": {"name": "Li Ming", "kind": "merchant", "phone": "13800000000"},
    "key_account": False,
}
PLAZA = {"name": "Plaza One", "timezone": "Asia/Shanghai"}


@pytest.fixture
async def archive(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas, consumer_fact_wait_s=10)
    async with client_for(create_app(settings)) as client:
        yield client


@pytest.fixture
async def unit_a203(archive):
    assert (await archive.put("/v1/plazas/p1", json=PLAZA)).status_code == 201
    assert (await archive.put("/v1/plazas/p1/units/A-203", json=UNIT)).status_code == 201
    return archive


async def archive_events(bus, kind):
    msgs = await bus.messages("ARCHIVE")
    events = [msgspec.json.decode(m.data, type=PlazaRegistered | UnitRegistered) for m in msgs]
    return [e for e in events if isinstance(e, kind)]


async def timeline(client, unit="A-203", **params):
    r = await client.get(f"/v1/plazas/p1/units/{unit}/timeline", params=params)
    assert r.status_code == 200, r.text
    return r.json()


# --- the unit register ----------------------------------------------------------------


async def test_registering_a_plaza_and_a_unit_publishes_both_facts(archive, bus):
    r = await archive.put("/v1/plazas/p1", json=PLAZA)
    assert r.status_code == 201 and r.json()["name"] == "Plaza One"
    again = await archive.put("/v1/plazas/p1", json={**PLAZA, "name": "Plaza One (East)"})
    assert again.status_code == 200 and again.json()["name"] == "Plaza One (East)"

    r = await archive.put("/v1/plazas/p1/units/A-203", json=UNIT, headers=as_actor("clerk-7"))
    assert r.status_code == 201
    body = r.json()
    assert body["revision"] == 1 and body["occupant"]["name"] == "Li Ming" and body["area_m2"] == 80.5

    shown = (await archive.get("/v1/plazas/p1/units/A-203")).json()
    assert {k: shown[k] for k in UNIT} == UNIT and shown["revision"] == 1
    assert shown["created_at"].endswith("Z") and shown["updated_at"].endswith("Z")

    plazas = await eventually(lambda: archive_events(bus, PlazaRegistered), what="PlazaRegistered on ARCHIVE")
    units = await eventually(lambda: archive_events(bus, UnitRegistered), what="UnitRegistered on ARCHIVE")
    assert plazas[0].plaza_id == "p1" and plazas[0].timezone == "Asia/Shanghai"
    assert len(units) == 1
    assert units[0].revision == 1 and units[0].unit == "A-203" and units[0].occupant.phone == "13800000000"
    assert units[0].actor == "clerk-7"

    listed = (await archive.get("/v1/plazas")).json()
    assert [p["plaza_id"] for p in listed["items"]] == ["p1"] and listed["next"] is None


async def test_a_changed_occupant_is_a_new_audited_revision(unit_a203, bus):
    changed = {**UNIT, "occupant": {"name": "Wang Fang", "kind": "merchant", "phone": "13900000000"}}
    r = await unit_a203.put("/v1/plazas/p1/units/A-203", json=changed, headers=as_actor("supervisor"))
    assert r.status_code == 200 and r.json()["revision"] == 2

    revisions = (await unit_a203.get("/v1/plazas/p1/units/A-203/revisions")).json()["items"]
    assert [rev["revision"] for rev in revisions] == [1, 2]
    first, second = revisions
    assert first["who"] == "front-desk" and first["before"] is None
    assert second["who"] == "supervisor"
    assert second["before"]["occupant"]["name"] == "Li Ming"
    assert second["after"]["occupant"]["name"] == "Wang Fang"
    assert {c["field"] for c in second["changes"]} == {"occupant.name", "occupant.phone"}

    async def two_revisions():
        return [e.revision for e in await archive_events(bus, UnitRegistered)] == [1, 2]

    await eventually(two_revisions, what="UnitRegistered revisions 1 and 2 on ARCHIVE")
    latest = (await archive_events(bus, UnitRegistered))[-1]
    assert latest.occupant.name == "Wang Fang"


async def test_an_identical_put_changes_nothing_and_emits_nothing(unit_a203, bus):
    await eventually(lambda: archive_events(bus, UnitRegistered), what="the first UnitRegistered")
    same = dict(UNIT, area_m2=80.5)
    r = await unit_a203.put("/v1/plazas/p1/units/A-203", json=same, headers=as_actor("someone-else"))
    assert r.status_code == 200 and r.json()["revision"] == 1
    plaza_again = await unit_a203.put("/v1/plazas/p1", json=PLAZA)
    assert plaza_again.status_code == 200

    # A change after the no-op shows the no-op left nothing behind: the relay has published
    # everything up to revision 2, and revision 2 is the only thing new.
    changed = dict(UNIT, key_account=True)
    assert (await unit_a203.put("/v1/plazas/p1/units/A-203", json=changed)).json()["revision"] == 2

    async def revision_two_out():
        return [e.revision for e in await archive_events(bus, UnitRegistered)] == [1, 2]

    await eventually(revision_two_out, what="only revisions 1 and 2 on ARCHIVE")
    assert len(await archive_events(bus, PlazaRegistered)) == 1
    revisions = (await unit_a203.get("/v1/plazas/p1/units/A-203/revisions")).json()["items"]
    assert [rev["revision"] for rev in revisions] == [1, 2]
    types = [i["type"] for i in (await timeline(unit_a203))["items"]]
    assert types == ["UnitRegistered", "UnitRegistered"]


async def test_units_are_listed_page_by_page(unit_a203):
    for unit in ("A-101", "B-001", "C-310"):
        assert (await unit_a203.put(f"/v1/plazas/p1/units/{unit}", json=UNIT)).status_code == 201
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await unit_a203.get("/v1/plazas/p1/units", params=params)).json()
        seen += [u["unit"] for u in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == ["A-101", "A-203", "B-001", "C-310"]


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/v1/plazas/nowhere/units/A-203", UNIT, 404, "plaza"),
        ("/v1/plazas/p1/units/A-203", {**UNIT, "use": "warehouse"}, 400, "use"),
        ("/v1/plazas/p1/units/A-203", {**UNIT, "area_m2": 0}, 400, "area_m2"),
        ("/v1/plazas/p1/units/A-203", {**UNIT, "area_m2": "big"}, 400, "area_m2"),
        ("/v1/plazas/p1/units/A-203", {**UNIT, "occupant": {"name": "x", "kind": "tenant"}}, 400, "occupant.kind"),
        ("/v1/plazas/p1/units/A-203", {k: v for k, v in UNIT.items() if k != "occupant"}, 400, "occupant"),
        ("/v1/plazas/p1/units/A*203", UNIT, 422, "unit"),
        ("/v1/plazas/p 1", PLAZA, 422, "plaza"),
        ("/v1/plazas/p1", {**PLAZA, "timezone": "Mars/Olympus"}, 400, "timezone"),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(unit_a203, path, body, status, field):
    r = await unit_a203.put(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


async def test_unknown_unit_is_404_naming_the_unit(unit_a203):
    r = await unit_a203.get("/v1/plazas/p1/units/Z-999")
    assert r.status_code == 404 and r.json()["field"] == "unit"


# --- the timeline ---------------------------------------------------------------------


T0 = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)


def case(at_minutes: int, **over):
    """The events of one repair, as intake and dispatch would publish them."""
    common = dict(plaza_id="p1", correlation_id="req-1", unit="A-203", occurred_at=T0 + dt.timedelta(minutes=at_minutes))
    return common | over


def received(at: int):
    return RequestReceived(**case(at), request_id="req-1", channel="phone", kind="service", text="the drain is blocked")


def created(at: int, **over):
    return WorkOrderCreated(**case(at, **over), work_order_id="wo-1", request_id="req-1", department="engineering",
                            kind="service", text="the drain is blocked")


def closed(at: int):
    lines = [ChargeLine(line_id=f"l{n}", kind="labour", description="labour", quantity=1, unit_price_fen=5000, amount_fen=5000)
             for n in (1, 2)]
    return WorkOrderClosed(**case(at), work_order_id="wo-1", request_id="req-1", department="engineering",
                           paid=True, charge_lines=lines)


async def test_other_services_events_land_on_the_timeline_in_occurred_at_order(unit_a203, bus):
    # Published out of order: the timeline orders by when things happened, not arrival.
    for event in (closed(30), received(0), created(1)):
        await bus.publish(event)

    async def four_items():
        items = (await timeline(unit_a203))["items"]
        return items if len(items) == 4 else None

    items = await eventually(four_items, what="three events on A-203's timeline")
    assert [i["type"] for i in items] == ["UnitRegistered", "RequestReceived", "WorkOrderCreated", "WorkOrderClosed"]
    assert [i["source"] for i in items] == ["archive", "intake", "dispatch", "dispatch"]
    assert items[3]["summary"] == "work order closed (engineering), 2 charge lines"
    assert items[1]["correlation_id"] == "req-1"
    assert all(i["occurred_at"].endswith("Z") for i in items)

    only = (await timeline(unit_a203, type="RequestReceived,WorkOrderClosed"))["items"]
    assert [i["type"] for i in only] == ["RequestReceived", "WorkOrderClosed"]
    repeated = (await unit_a203.get("/v1/plazas/p1/units/A-203/timeline?type=WorkOrderCreated&type=WorkOrderClosed")).json()
    assert [i["type"] for i in repeated["items"]] == ["WorkOrderCreated", "WorkOrderClosed"]
    window = (await timeline(unit_a203, since=(T0).isoformat(), until=(T0 + dt.timedelta(minutes=30)).isoformat()))["items"]
    assert [i["type"] for i in window] == ["RequestReceived", "WorkOrderCreated"]

    entry = (await unit_a203.get(f"/v1/plazas/p1/units/A-203/timeline/{items[3]['event_id']}")).json()
    assert len(entry["event"]["charge_lines"]) == 2


async def test_billing_money_movements_land_on_the_units_timeline(unit_a203, bus):
    held = DepositHeld(**case(0), entry_id="e1", permit_id="pm-1", amount_fen=500000)
    refunded = DepositRefunded(**case(60), entry_id="e2", permit_id="pm-1", amount_fen=450000, held_fen=500000,
                               deduction_fen=50000, deduction_reason="scratched lift")
    refund = RefundIssued(**case(90), entry_id="e3", amount_fen=12000, method="wechat", reason="overpaid")
    for event in (refund, held, refunded):
        await bus.publish(event)

    async def all_three():
        items = (await timeline(unit_a203, kind="billing"))["items"]
        return items if len(items) == 3 else None

    items = await eventually(all_three, what="the deposit and the refund on A-203's timeline")
    assert [(i["type"], i["source"], i["summary"]) for i in items] == [
        ("DepositHeld", "billing", "deposit ¥5000.00 held for permit pm-1"),
        ("DepositRefunded", "billing", "deposit refunded ¥4500.00 for permit pm-1 (¥500.00 deducted: scratched lift)"),
        ("RefundIssued", "billing", "refund ¥120.00 out of credit by wechat: overpaid"),
    ]


async def test_a_redelivered_event_is_filed_once(unit_a203, bus):
    event = received(0)
    await bus.publish(event, msg_id="first-delivery")
    await bus.publish(event, msg_id="second-delivery")
    # Published last on the same stream and consumer: once it is filed, both copies were handled.
    marker = RequestReceived(**case(5), request_id="req-2", channel="visit", kind="praise", text="thanks")
    await bus.publish(marker)

    async def marker_filed():
        items = (await timeline(unit_a203))["items"]
        return items if any(i["event_id"] == marker.id for i in items) else None

    items = await eventually(marker_filed, what="the marker event on the timeline")
    assert [i["event_id"] for i in items].count(event.id) == 1
    assert len(await bus.messages("INTAKE")) == 3  # both copies really were on the stream


async def test_an_event_about_a_unit_registered_a_moment_later_is_kept(unit_a203, bus):
    event = RequestReceived(plaza_id="p1", correlation_id="req-9", unit="Q-404", request_id="req-9",
                            channel="online", kind="suggestion", text="more benches please")
    await bus.publish(event)

    async def held_back():
        return (await bus.js.consumer_info("INTAKE", "archive-intake")).num_redelivered >= 1

    await eventually(held_back, what="archive to hold the event back while Q-404 is not registered")
    assert (await unit_a203.put("/v1/plazas/p1/units/Q-404", json=UNIT)).status_code == 201
    # At the latest when the wait for the unit (10 s here) is over, the event is looked at again.
    async def filed():
        items = await _items(unit_a203, "Q-404")
        return [i for i in items if i["event_id"] == event.id]

    [item] = await eventually(filed, timeout=20, what="the event on Q-404's timeline")
    assert item["summary"].startswith("suggestion received by online")
    assert await bus.messages("DEADLETTER") == []


async def _items(client, unit):
    return (await timeline(client, unit))["items"]


async def test_pagination_walks_the_whole_timeline_without_repeats(unit_a203, bus):
    # Two events at the very same instant: the event id breaks the tie, across a page edge too.
    same_time = [msgspec.structs.replace(created(7, correlation_id=f"c{n}"), work_order_id=f"wo-{n}") for n in range(2)]
    events = [received(0), *same_time, closed(9), msgspec.structs.replace(received(11), request_id="req-2")]
    for event in events:
        await bus.publish(event)
    everything = await eventually(
        lambda: _items_if(unit_a203, len(events) + 1), what="all events on the timeline"
    )

    walked, cursor, pages = [], None, 0
    while True:
        page = await timeline(unit_a203, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        walked += [i["event_id"] for i in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert walked == [i["event_id"] for i in everything]
    assert len(set(walked)) == len(events) + 1 and pages == 3


async def _items_if(client, n):
    items = (await timeline(client))["items"]
    return items if len(items) == n else None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"cursor": "garbage"}, "cursor"), ({"since": "2024-05-01T00:00:00"}, "since"), ({"limit": 0}, "limit")],
)
async def test_bad_timeline_query_is_refused_naming_the_parameter(unit_a203, params, field):
    r = await unit_a203.get("/v1/plazas/p1/units/A-203/timeline", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


async def test_the_list_of_plazas_shows_only_the_plazas_a_token_holds(archive):
    for plaza in ("p1", "held-2", "other-3"):
        r = await archive.put(f"/v1/plazas/{plaza}", json={"name": plaza, "timezone": "Asia/Shanghai"})
        assert r.status_code in (200, 201), r.text
    clerk = bearer("clerk-li", plazas={"p1": ["clerk"], "held-2": ["finance"]})
    shown = (await archive.get("/v1/plazas", headers=clerk)).json()["items"]
    assert [p["plaza_id"] for p in shown] == ["held-2", "p1"]
    paged = (await archive.get("/v1/plazas", params={"limit": 1}, headers=bearer("x", plazas={"p1": ["clerk"]}))).json()
    assert paged["items"] == [] and paged["next"] == "held-2"  # still pages on past a plaza it may not see
    everyone = (await archive.get("/v1/plazas", headers=bearer("auditor", roles=["auditor"]))).json()["items"]
    assert {"p1", "held-2", "other-3"} <= {p["plaza_id"] for p in everyone}



async def test_units_are_found_by_number_name_or_phone_page_by_page(unit_a203):
    people = {"A-101": ("Wang Fang", "13911112222"), "A-102": ("王芳", "021-5550"), "B-203": ("Zhao Lei", "13800005555"),
              "C-501": ("Li_Na", None)}
    for unit, (name, phone) in people.items():
        body = {**UNIT, "occupant": {"name": name, "kind": "merchant", "phone": phone}}
        assert (await unit_a203.put(f"/v1/plazas/p1/units/{unit}", json=body)).status_code == 201

    async def found(q, limit=100):
        seen, cursor = [], None
        while True:
            params = {"q": q, "limit": limit, **({"cursor": cursor} if cursor else {})}
            r = await unit_a203.get("/v1/plazas/p1/units", params=params)
            assert r.status_code == 200, r.text
            seen += [u["unit"] for u in r.json()["items"]]
            if (cursor := r.json()["next"]) is None:
                return seen

    assert await found("a-1") == ["A-101", "A-102"], "the start of the number, whatever the case"
    assert await found("203") == [], "a number matches from its start only"
    assert await found("WANG") == ["A-101"], "part of the occupant's name"
    assert await found("王") == ["A-102"]
    assert await found("5555") == ["B-203"], "part of the phone"
    assert await found("a", limit=1) == ["A-101", "A-102", "A-203", "B-203", "C-501"], "paging keeps working"
    assert await found("_") == ["C-501"], "an underscore typed is the character, not a wildcard"
    assert await found("%") == [], "nor is a percent sign"
    assert len(await found("  ")) == 5, "blank: every unit"
