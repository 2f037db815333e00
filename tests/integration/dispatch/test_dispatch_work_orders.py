"""Dispatch against a real nats-server and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import msgspec
import pytest

from libs.contracts import new_event_id
from libs.contracts.events import (
    DECODERS,
    PlazaRegistered,
    RequestReceived,
    VisitCompleted,
    WorkOrderAssigned,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
    WorkOrderResolved,
    WorkOrderStarted,
)
from tests.support.harness import as_actor, bearer, client_for, eventually, service_settings
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from tests.support.archive_facts import register
from tests.support.staff_facts import (
    assign, publish_staff, register_staff, staff_changed, staff_joined, staff_left,
)


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        for plaza in ("p1", "p2"):
            await register(bus, plaza, *UNITS, known_by="dispatch")
        yield client


UNITS = ("A-203", "B-1204")


def request(text: str, *, plaza: str = "p1", kind: str = "service", major: bool = False, unit: str = "A-203") -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(
        plaza_id=plaza, correlation_id=request_id, actor="clerk-li", request_id=request_id,
        unit=unit, channel="phone", kind=kind, text=text, major=major,
    )


def visit(work_order: dict, rating: str = "unsatisfied", *, visit_id: str | None = None, comment: str | None = None) -> VisitCompleted:
    return VisitCompleted(
        plaza_id=work_order["plaza_id"], correlation_id=work_order["request_id"], actor="survey",
        visit_id=visit_id or new_event_id(), work_order_id=work_order["id"], unit=work_order["unit"],
        department=work_order["department"], rating=rating, comment=comment,
    )


async def work_order_of(client, event: RequestReceived) -> dict:
    async def probe():
        r = await client.get(f"/v1/plazas/{event.plaza_id}/work-orders", params={"request_id": event.request_id})
        return r.json()["items"]

    items = await eventually(probe, what=f"a work order for request {event.request_id}")
    return items[0]


async def dispatch_events(bus, work_order_id: str | None = None) -> list:
    events = [DECODERS["dispatch"].decode(m.data) for m in await bus.messages("DISPATCH")]
    return [e for e in events if work_order_id is None or e.work_order_id == work_order_id]


async def events_of(bus, work_order_id: str, count: int) -> list:
    async def probe():
        found = await dispatch_events(bus, work_order_id)
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} events of work order {work_order_id} on DISPATCH")


async def consumed(bus, stream: str, durable: str) -> None:
    """Wait until dispatch's durable consumer has acknowledged everything in the stream."""

    await eventually(lambda: bus.caught_up(stream, durable), what=f"{durable} to catch up with {stream}")


async def act(client, wo: dict, action: str, body: dict | None = None, **headers) -> dict:
    r = await client.post(f"/v1/plazas/{wo['plaza_id']}/work-orders/{wo['id']}/{action}", json=body or {}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


PAID_JOB = {"paid": True, "labour_fen": 5000, "materials": [{"name": "pipe", "quantity": 2, "unit_price_fen": 1200}]}


# --- opening -----------------------------------------------------------------------------


async def test_a_request_on_the_bus_becomes_a_work_order_routed_to_its_department(dispatch, bus):
    event = request("卫生间水管爆裂 pipe burst, water everywhere")
    await bus.publish(event)

    wo = await work_order_of(dispatch, event)
    assert (wo["department"], wo["status"], wo["reopen_count"], wo["unit"]) == ("engineering", "created", 0, "A-203")
    assert wo["priority"] == "emergency" and wo["kind"] == "service"

    [created] = await events_of(bus, wo["id"], 1)
    assert isinstance(created, WorkOrderCreated) and created.department == "engineering"
    assert created.correlation_id == event.request_id and created.causation_id == event.id
    msgs = await bus.messages("DISPATCH", "plazadesk.dispatch.p1.engineering.work_order.created")
    assert len(msgs) == 1


async def test_praise_and_referred_requests_open_no_work_order(dispatch, bus):
    praise = request("thank you for the quick repair", kind="praise")
    referred = msgspec.structs.replace(request("gas leak at home"), serviceable=False, referral="gas: 96777")
    await bus.publish(praise)
    await bus.publish(referred)
    await consumed(bus, "INTAKE", "dispatch-request-received")
    listed = (await dispatch.get("/v1/plazas/p1/work-orders")).json()
    assert listed == {"items": [], "next": None}


async def test_a_request_delivered_twice_or_under_a_new_event_id_opens_one_work_order(dispatch, bus):
    event = request("the light in the corridor is off")
    await bus.publish(event, msg_id="first")
    await bus.publish(event, msg_id="second")  # past JetStream's dedup: a new message id
    await bus.publish(msgspec.structs.replace(event, id=new_event_id()))  # past the inbox too
    await consumed(bus, "INTAKE", "dispatch-request-received")

    assert len(await bus.messages("INTAKE")) == 3
    items = (await dispatch.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]
    assert len(items) == 1
    created = [e for e in await dispatch_events(bus) if isinstance(e, WorkOrderCreated)]
    assert len(created) == 1


async def test_a_major_complaint_escalates_to_the_manager_at_once(dispatch, bus):
    event = request("保安打人，我要找律师投诉", kind="complaint", major=True)
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    assert wo["department"] == "security" and wo["major"] is True

    created, escalated = await events_of(bus, wo["id"], 2)
    assert isinstance(created, WorkOrderCreated) and isinstance(escalated, WorkOrderEscalated)
    assert escalated.level == "manager" and escalated.reason == "major complaint"
    assert escalated.correlation_id == event.request_id and escalated.causation_id == event.id
    assert created.kind == escalated.kind == "complaint"  # every work-order event says what the job is


async def test_a_plaza_routing_table_replaces_the_defaults(dispatch, bus):
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
    rules = {"rules": [{"keyword": "Lift", "department": "lift_vendor"}]}

    async def replaced():
        return (await dispatch.put("/v1/plazas/p1/routing-rules", json=rules)).status_code == 200

    await eventually(replaced, what="dispatch to learn plaza p1 from archive")
    table = (await dispatch.get("/v1/plazas/p1/routing-rules")).json()
    assert table["defaults"] is False and table["items"] == [{"position": 1, "keyword": "lift", "department": "lift_vendor"}]
    assert (await dispatch.get("/v1/plazas/p2/routing-rules")).json()["defaults"] is True

    lift, drain = request("the lift is stuck"), request("the drain is blocked", plaza="p1")
    await bus.publish(lift)
    await bus.publish(drain)
    assert (await work_order_of(dispatch, lift))["department"] == "lift_vendor"
    assert (await work_order_of(dispatch, drain))["department"] == "engineering"  # fallback by kind

    bad = await dispatch.put("/v1/plazas/p1/routing-rules", json={"rules": [{"keyword": "x", "department": "eng.>"}]})
    assert bad.status_code == 422 and bad.json()["field"] == "rules[0].department"

    # A new table counts from the next request, though dispatch keeps tables a few seconds.
    assert (await dispatch.put("/v1/plazas/p1/routing-rules", json={"rules": [
        {"keyword": "lift", "department": "engineering"}]})).status_code == 200
    again = request("the lift is stuck again")
    await bus.publish(again)
    assert (await work_order_of(dispatch, again))["department"] == "engineering"


# --- lifecycle ---------------------------------------------------------------------------


async def test_assign_start_resolve_close_emits_the_lifecycle_with_charge_lines(dispatch, bus):
    event = request("the drain in the shop is blocked")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)

    assigned = await assign(dispatch, bus, wo, "zhang", **as_actor("supervisor-wu"), **{"X-Request-Id": "cmd-1"})
    assert (assigned["status"], assigned["assignee"]) == ("assigned", "zhang")
    assert (await act(dispatch, wo, "start"))["status"] == "in_progress"
    resolved = await act(dispatch, wo, "resolve", {**PAID_JOB, "note": "replaced the trap"})
    assert resolved["status"] == "resolved" and resolved["labour_fen"] == 5000
    closed = await act(dispatch, wo, "close")
    assert closed["status"] == "closed" and closed["closed_at"].endswith("Z")
    assert [(l["line_id"], l["amount_fen"]) for l in closed["charge_lines"]] == [(f"{wo['id']}:1", 5000), (f"{wo['id']}:2", 2400)]

    # The answer to a command is the work order as it now is: what a read shows.
    assert closed == (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()

    events = await events_of(bus, wo["id"], 5)
    assert [type(e) for e in events] == [WorkOrderCreated, WorkOrderAssigned, WorkOrderStarted, WorkOrderResolved, WorkOrderClosed]
    assert {e.kind for e in events} == {"service"}
    assert all(e.correlation_id == event.request_id for e in events)
    assert events[1].actor == "supervisor-wu" and events[1].causation_id == "cmd-1" and events[1].assignee == "zhang"
    assert events[2].actor == "front-desk" and events[2].causation_id not in (None, "cmd-1")
    assert events[3].paid is True and events[3].materials[0].name == "pipe" and events[3].note == "replaced the trap"
    close = events[4]
    assert close.paid is True and close.subject_tokens() == ("p1", "engineering", "work_order", "closed")
    assert [(l.line_id, l.kind, l.quantity, l.unit_price_fen, l.amount_fen) for l in close.charge_lines] == [
        (f"{wo['id']}:1", "labour", 1, 5000, 5000),
        (f"{wo['id']}:2", "material", 2, 1200, 2400),
    ]


async def test_an_unpaid_job_closes_without_charge_lines(dispatch, bus):
    event = request("light is off")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    await assign(dispatch, bus, wo, "zhang")
    await assign(dispatch, bus, wo, "wang")  # reassigned before work starts
    await act(dispatch, wo, "start")
    await act(dispatch, wo, "resolve", {"paid": False, "labour_fen": 3000})
    closed = await act(dispatch, wo, "close")
    assert closed["charge_lines"] == [] and closed["assignee"] == "wang"
    close = (await events_of(bus, wo["id"], 6))[-1]
    assert isinstance(close, WorkOrderClosed) and close.paid is False and close.charge_lines == []


async def test_refused_actions_get_problems_naming_status_field_or_id(dispatch, bus):
    event = request("door lock broken")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    base = f"/v1/plazas/p1/work-orders/{wo['id']}"

    r = await dispatch.post(f"{base}/start", json={})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "status" and "created" in r.json()["detail"] and "assign" in r.json()["detail"]

    r = await dispatch.post("/v1/plazas/p1/work-orders/nope/assign", json={"assignee": "zhang"})
    assert r.status_code == 404 and r.json()["field"] == "id"
    assert (await dispatch.get(f"/v1/plazas/p2/work-orders/{wo['id']}")).status_code == 404  # other plaza
    r = await dispatch.get("/v1/plazas/p1/work-orders", params={"status": "done"})
    assert r.status_code == 400 and r.json()["field"] == "status"

    await assign(dispatch, bus, wo, "zhang")
    await act(dispatch, wo, "start")
    for body, field in [
        ({"paid": True, "labour_fen": -1}, "labour_fen"),
        ({"paid": True, "materials": [{"name": "x", "quantity": 0, "unit_price_fen": 1}]}, "quantity"),
        ({"paid": True, "materials": [{"name": "x", "quantity": 1, "unit_price_fen": -100}]}, "unit_price_fen"),
    ]:
        r = await dispatch.post(f"{base}/resolve", json=body)
        assert r.status_code in (400, 422) and field in r.json()["field"], r.text
    assert (await dispatch.get(base)).json()["status"] == "in_progress"  # nothing was recorded
    assert len(await events_of(bus, wo["id"], 3)) == 3  # created, assigned, started: no resolve


# --- second dispatch ---------------------------------------------------------------------


async def drive_to_closed(client, bus, text: str = "the drain in the shop is blocked") -> dict:
    event = request(text)
    await bus.publish(event)
    wo = await work_order_of(client, event)
    await assign(client, bus, wo, "zhang")
    await act(client, wo, "start")
    await act(client, wo, "resolve", PAID_JOB)
    return await act(client, wo, "close")


async def test_an_unsatisfied_visit_reopens_the_work_order_once(dispatch, bus):
    wo = await drive_to_closed(dispatch, bus)
    unsatisfied = visit(wo, comment="still blocked")
    await bus.publish(unsatisfied)

    async def reopened():
        shown = (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
        return shown if shown["reopen_count"] == 1 else None

    shown = await eventually(reopened, what="the work order to be reopened")
    assert (shown["status"], shown["assignee"], shown["last_rating"]) == ("assigned", "zhang", "unsatisfied")
    reopen = (await events_of(bus, wo["id"], 6))[-1]
    assert isinstance(reopen, WorkOrderReopened)
    assert (reopen.visit_id, reopen.reason, reopen.reopen_count) == (unsatisfied.visit_id, "still blocked", 1)
    assert reopen.correlation_id == wo["request_id"] and reopen.causation_id == unsatisfied.id
    assert reopen.kind == "service"

    # The same visit again (new event id) and a visit while the job is open change nothing.
    await bus.publish(msgspec.structs.replace(unsatisfied, id=new_event_id()))
    await bus.publish(visit(wo))
    await consumed(bus, "SURVEY", "dispatch-visit-completed")
    again = (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
    assert (again["status"], again["reopen_count"]) == ("assigned", 1)
    assert len(await dispatch_events(bus, wo["id"])) == 6

    # Once closed again, a late redelivery of that first visit still does not reopen it.
    await act(dispatch, wo, "start")
    await act(dispatch, wo, "resolve", {"paid": False})
    await act(dispatch, wo, "close")
    await bus.publish(msgspec.structs.replace(unsatisfied, id=new_event_id()))
    await consumed(bus, "SURVEY", "dispatch-visit-completed")
    final = (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
    assert (final["status"], final["reopen_count"]) == ("closed", 1)


async def test_closing_after_a_reopen_keeps_old_charge_line_ids_and_adds_new_ones(dispatch, bus):
    wo = await drive_to_closed(dispatch, bus)
    first_close = (await events_of(bus, wo["id"], 5))[-1]
    await bus.publish(visit(wo))
    await events_of(bus, wo["id"], 6)

    await act(dispatch, wo, "start")
    await act(dispatch, wo, "resolve", {"paid": True, "labour_fen": 2000})
    await act(dispatch, wo, "close")
    second_close = (await events_of(bus, wo["id"], 9))[-1]
    assert isinstance(second_close, WorkOrderClosed) and second_close.reopen_count == 1
    assert second_close.charge_lines[:2] == first_close.charge_lines
    assert [(l.line_id, l.amount_fen) for l in second_close.charge_lines[2:]] == [(f"{wo['id']}:3", 2000)]

    # A second failure reaches the escalation threshold (default 2): the manager hears of it.
    await bus.publish(visit(wo, comment="blocked again"))
    reopened, escalated = (await events_of(bus, wo["id"], 11))[-2:]
    assert isinstance(reopened, WorkOrderReopened) and reopened.reopen_count == 2
    assert isinstance(escalated, WorkOrderEscalated) and escalated.level == "manager"
    assert "blocked again" in escalated.reason


async def test_a_satisfied_visit_is_recorded_without_reopening(dispatch, bus):
    wo = await drive_to_closed(dispatch, bus)
    await bus.publish(visit(wo, "basically_satisfied"))

    async def rated():
        shown = (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
        return shown if shown["last_rating"] else None

    shown = await eventually(rated, what="the rating to be recorded")
    assert (shown["last_rating"], shown["status"], shown["reopen_count"]) == ("basically_satisfied", "closed", 0)
    assert len(await dispatch_events(bus, wo["id"])) == 5


# --- departments subscribe by subject ----------------------------------------------------


async def test_a_department_subscription_gets_its_own_plazas_work_orders_only(dispatch, bus):
    received = []

    async def engineering_system(msg) -> None:
        received.append(msg)

    sub = await bus.nc.subscribe("plazadesk.dispatch.p1.engineering.>", cb=engineering_system)
    wanted = request("air conditioning is not cooling")
    await bus.publish(wanted)
    await bus.publish(request("保安态度差", kind="complaint"))
    await bus.publish(request("air conditioning is not cooling", plaza="p2"))
    await eventually(
        lambda: _count(bus, WorkOrderCreated, 3), what="three work orders created"
    )
    await eventually(_async(lambda: received), what="the engineering system to receive its work order")
    await bus.nc.flush()
    await sub.unsubscribe()

    events = [DECODERS["dispatch"].decode(m.data) for m in received]
    assert [(e.plaza_id, e.department, e.request_id) for e in events] == [("p1", "engineering", wanted.request_id)]
    assert received[0].subject == "plazadesk.dispatch.p1.engineering.work_order.created"


def _async(probe):
    async def run():
        return probe()

    return run


async def _count(bus, cls, n: int) -> bool:
    return len([e for e in await dispatch_events(bus) if isinstance(e, cls)]) >= n


async def test_department_staff_see_and_act_on_their_departments_work_orders_only(dispatch, bus):
    leak, noise = request("pipe burst, water everywhere"), request("noise from the car park all night")
    for event in (leak, noise):
        await bus.publish(event)
    pipe, party = await work_order_of(dispatch, leak), await work_order_of(dispatch, noise)
    assert (pipe["department"], party["department"]) == ("engineering", "security")
    fitter = bearer("fitter-wang", plazas={"p1": ["staff"]}, department="engineering")
    url = "/v1/plazas/p1/work-orders"

    listed = (await dispatch.get(url, headers=fitter)).json()["items"]
    assert {wo["department"] for wo in listed} == {"engineering"} and pipe["id"] in {wo["id"] for wo in listed}
    assert (await dispatch.get(url, params={"department": "security"}, headers=fitter)).json()["items"] == []
    assert (await dispatch.get("/v1/plazas/p1/departments/security/queue", headers=fitter)).json()["items"] == []
    assert (await dispatch.get(f"{url}/{pipe['id']}", headers=fitter)).status_code == 200
    hidden = await dispatch.get(f"{url}/{party['id']}", headers=fitter)
    missing = await dispatch.get(f"{url}/no-such-order", headers=fitter)
    assert hidden.status_code == 404 and hidden.json()["detail"] == missing.json()["detail"].replace("no-such-order", party["id"])
    acted = await dispatch.post(f"{url}/{party['id']}/start", headers=fitter)
    assert acted.status_code == 404, acted.text
    await register_staff(bus, "p1", "fitter-wang", "engineering")
    assert (await dispatch.post(f"{url}/{pipe['id']}/assign", json={"assignee": "fitter-wang"}, headers=fitter)).status_code == 200
    started = await dispatch.post(f"{url}/{pipe['id']}/start", headers=fitter)
    assert started.status_code == 200 and started.json()["status"] == "in_progress", started.text
    cancelled = await dispatch.post(f"{url}/{pipe['id']}/cancel", json={"reason": "not mine to cancel"}, headers=fitter)
    assert cancelled.status_code == 403 and cancelled.headers["content-type"].startswith("application/problem+json")
    # A supervisor who is also on a department's staff sees every department.
    lead = bearer("lead-zhao", plazas={"p1": ["staff", "supervisor"]}, department="engineering")
    assert (await dispatch.get(f"{url}/{party['id']}", headers=lead)).status_code == 200


# --- assignees: active staff of the job's department at its plaza ------------------------


async def test_an_engineer_who_joined_the_plaza_takes_an_engineering_job_by_name(dispatch, bus):
    event = request("the drain in the shop is blocked")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    await register_staff(bus, "p1", "eng-zhao", "engineering", name="赵工 Zhao")

    assigned = await act(dispatch, wo, "assign", {"assignee": "eng-zhao"})
    assert (assigned["status"], assigned["assignee"]) == ("assigned", "eng-zhao")
    _, announced = await events_of(bus, wo["id"], 2)
    assert isinstance(announced, WorkOrderAssigned)
    assert (announced.assignee, announced.assignee_name) == ("eng-zhao", "赵工 Zhao")


async def refused(client, wo: dict, assignee: str) -> str:
    r = await client.post(f"/v1/plazas/p1/work-orders/{wo['id']}/assign", json={"assignee": assignee})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["field"] == "assignee"
    return r.json()["detail"]


async def test_only_active_staff_of_the_jobs_department_and_plaza_may_take_it(dispatch, bus):
    event = request("the drain in the shop is blocked")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    await publish_staff(
        bus,
        staff_joined("p1", "guard-sun", "security"),
        staff_joined("p2", "eng-p2", "engineering"),  # another plaza's engineer
        staff_joined("p1", "eng-gone", "engineering"), staff_left("p1", "eng-gone"),
        staff_joined("p1", "eng-off", "engineering"), staff_changed("p1", "eng-off", "engineering", active=False),
        staff_joined("p1", "clerk-li", None, roles=("clerk",)),
    )

    assert await refused(dispatch, wo, "nobody") == "'nobody' is not staff of plaza 'p1'"
    assert await refused(dispatch, wo, "guard-sun") == "'guard-sun' works in security, not engineering"
    assert await refused(dispatch, wo, "eng-p2") == "'eng-p2' is not staff of plaza 'p1'"
    assert await refused(dispatch, wo, "eng-gone") == "'eng-gone' is not staff of plaza 'p1'"
    assert await refused(dispatch, wo, "eng-off") == "'eng-off' is no longer active"
    assert await refused(dispatch, wo, "clerk-li") == "'clerk-li' works in no department, not engineering"
    assert (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()["status"] == "created"
    assert len(await dispatch_events(bus, wo["id"])) == 1  # nothing but its creation

    # Back at work, moved to engineering: the latest record counts.
    await publish_staff(bus, staff_changed("p1", "eng-off", "engineering"), staff_changed("p1", "guard-sun", "engineering"))
    assert (await act(dispatch, wo, "assign", {"assignee": "eng-off"}))["assignee"] == "eng-off"
    assert (await act(dispatch, wo, "assign", {"assignee": "guard-sun"}))["assignee"] == "guard-sun"


async def test_a_late_copy_of_an_older_staff_event_changes_nothing(dispatch, bus):
    event = request("the drain in the shop is blocked")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    joined = staff_joined("p1", "eng-qian", "engineering")
    left = staff_left("p1", "eng-qian")
    await publish_staff(bus, joined, left, msgspec.structs.replace(joined, id=new_event_id()))
    assert await refused(dispatch, wo, "eng-qian") == "'eng-qian' is not staff of plaza 'p1'"
