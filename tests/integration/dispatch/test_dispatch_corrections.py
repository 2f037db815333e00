"""Dispatch follows the desk: the department chosen at intake, a public area's request,
re-routing a job to another department, and the desk's reclassification of a request
followed onto its work order. Against a real nats-server and a real database."""

from __future__ import annotations

import msgspec
import pytest

from libs.contracts import new_event_id
from libs.contracts.events import (
    DECODERS, RequestReceived, RequestReclassified, WorkOrderCancelled, WorkOrderCreated, WorkOrderEscalated,
    WorkOrderRerouted,
)
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from tests.support.archive_facts import register
from tests.support.harness import bearer, client_for, eventually, service_settings
from tests.support.staff_facts import assign


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", "A-203", known_by="dispatch")
        yield client


URL = "/v1/plazas/p1/work-orders"


def request(text: str, *, kind: str = "service", unit: str = "A-203", **fields) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(plaza_id="p1", correlation_id=request_id, actor="clerk-li", request_id=request_id,
                           unit=unit, channel="phone", kind=kind, text=text, **fields)


def reclassified(received: RequestReceived, kind: str, reason: str, **fields) -> RequestReclassified:
    return RequestReclassified(
        plaza_id="p1", correlation_id=received.request_id, actor="supervisor-wu", request_id=received.request_id,
        unit=received.unit, kind=kind, previous_kind=received.kind, reason=reason, **fields,
    )


async def work_order_of(client, event) -> dict:
    async def probe():
        return (await client.get(URL, params={"request_id": event.request_id})).json()["items"]

    return (await eventually(probe, what=f"a work order for request {event.request_id}"))[0]


async def shown(client, wo: dict) -> dict:
    return (await client.get(f"{URL}/{wo['id']}")).json()


async def events_of(bus, work_order_id: str, count: int) -> list:
    async def probe():
        found = [e for e in map(DECODERS["dispatch"].decode, (m.data for m in await bus.messages("DISPATCH")))
                 if getattr(e, "work_order_id", None) == work_order_id]
        return found if len(found) >= count else None

    return await eventually(probe, what=f"{count} events of work order {work_order_id}")


async def consumed(bus, durable: str) -> None:
    await eventually(lambda: bus.caught_up("INTAKE", durable), what=f"{durable} to catch up")


async def queue(client, department: str, **headers) -> list[str]:
    r = await client.get(f"/v1/plazas/p1/departments/{department}/queue", headers=headers)
    assert r.status_code == 200, r.text
    return [wo["id"] for wo in r.json()["items"]]


# --- the department at intake ------------------------------------------------------------


async def test_the_clerks_choice_wins_then_the_plazas_rules_then_intakes_proposal(dispatch, bus):
    chosen = request("the lift is stuck between floors", department="security", department_chosen=True)
    proposed = request("the lift is stuck between floors", department="cleaning")
    unmatched = request("the shop sign fell down", department="cleaning")
    nothing = request("the shop sign fell down")
    for event in (chosen, proposed, unmatched, nothing):
        await bus.publish(event)
    assert (await work_order_of(dispatch, chosen))["department"] == "security"
    assert (await work_order_of(dispatch, proposed))["department"] == "engineering"  # the rule "lift"
    assert (await work_order_of(dispatch, unmatched))["department"] == "cleaning"
    assert (await work_order_of(dispatch, nothing))["department"] == "engineering"  # by kind, as before


async def test_a_public_area_request_becomes_a_work_order_that_keeps_its_area(dispatch, bus):
    event = request("car park B2 light is broken", unit="", area="car park B2")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    assert (wo["unit"], wo["area"], wo["department"]) == ("", "car park B2", "engineering")
    assert (await shown(dispatch, wo))["area"] == "car park B2"
    listed = (await dispatch.get(URL, params={"area": "car park B2"})).json()["items"]
    assert [w["id"] for w in listed] == [wo["id"]]
    assert (await dispatch.get(URL, params={"area": "east entrance"})).json()["items"] == []
    [created] = await events_of(bus, wo["id"], 1)
    assert isinstance(created, WorkOrderCreated) and created.unit == ""


# --- re-routing --------------------------------------------------------------------------


async def test_a_rerouted_job_leaves_the_old_queue_for_the_new_one(dispatch, bus):
    event = request("the lift is stuck between floors")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    await assign(dispatch, bus, wo, "fitter-wang")
    assert wo["id"] in await queue(dispatch, "engineering")

    r = await dispatch.post(f"{URL}/{wo['id']}/reroute", json={"department": "lift_vendor", "reason": "lifts are the contractor's"},
                            headers={"X-Request-Id": "cmd-reroute"})
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["department"], moved["status"], moved["assignee"]) == ("lift_vendor", "created", None)
    assert moved["original_department"] == "engineering" and moved == await shown(dispatch, wo)
    assert wo["id"] not in await queue(dispatch, "engineering")
    assert wo["id"] in await queue(dispatch, "lift_vendor")

    rerouted = (await events_of(bus, wo["id"], 3))[-1]
    assert isinstance(rerouted, WorkOrderRerouted)
    assert (rerouted.department, rerouted.from_department, rerouted.reason) == ("lift_vendor", "engineering", "lifts are the contractor's")
    assert rerouted.causation_id == "cmd-reroute" and rerouted.correlation_id == event.request_id
    assert len(await bus.messages("DISPATCH", "plazadesk.dispatch.p1.lift_vendor.work_order.rerouted")) == 1

    # The old department's fitter may no longer give it to themselves; the new one's may.
    r = await dispatch.post(f"{URL}/{wo['id']}/assign", json={"assignee": "fitter-wang"})
    assert r.status_code == 422 and r.json()["field"] == "assignee"
    assert (await assign(dispatch, bus, moved, "lift-chen"))["assignee"] == "lift-chen"


async def test_department_staff_see_a_rerouted_job_in_the_new_department_only(dispatch, bus):
    event = request("the lift is stuck between floors")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    fitter = bearer("fitter-wang", plazas={"p1": ["staff"]}, department="engineering")
    lift = bearer("lift-chen", plazas={"p1": ["staff"]}, department="lift_vendor")
    assert (await dispatch.get(f"{URL}/{wo['id']}", headers=fitter)).status_code == 200
    assert (await dispatch.get(f"{URL}/{wo['id']}", headers=lift)).status_code == 404

    # Department staff hand a job up (escalate), not sideways: re-routing is the desk's.
    denied = await dispatch.post(f"{URL}/{wo['id']}/reroute", json={"department": "lift_vendor", "reason": "not ours"}, headers=fitter)
    assert denied.status_code == 403
    clerk = bearer("clerk-li", plazas={"p1": ["clerk"]})
    r = await dispatch.post(f"{URL}/{wo['id']}/reroute", json={"department": "lift_vendor", "reason": "lifts are the contractor's"}, headers=clerk)
    assert r.status_code == 200, r.text

    assert (await dispatch.get(f"{URL}/{wo['id']}", headers=fitter)).status_code == 404
    assert wo["id"] not in [w["id"] for w in (await dispatch.get(URL, headers=fitter)).json()["items"]]
    assert await queue(dispatch, "lift_vendor", **fitter) == []
    assert (await dispatch.get(f"{URL}/{wo['id']}", headers=lift)).json()["department"] == "lift_vendor"
    assert await queue(dispatch, "lift_vendor", **lift) == [wo["id"]]


async def test_a_refused_reroute_names_its_field_and_assign_does_not_change_a_department(dispatch, bus):
    event = request("the drain is blocked")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    base = f"{URL}/{wo['id']}"

    r = await dispatch.post(f"{base}/assign", json={"assignee": "fitter-wang", "department": "cleaning"})
    assert r.status_code == 422 and r.json()["field"] == "department" and "/reroute" in r.json()["detail"]
    r = await dispatch.post(f"{base}/reroute", json={"department": "engineering", "reason": "x"})
    assert r.status_code == 409 and r.json()["field"] == "department"
    r = await dispatch.post(f"{base}/reroute", json={"department": "lift vendor", "reason": "x"})
    assert r.status_code == 422 and r.json()["field"] == "department"
    r = await dispatch.post(f"{base}/reroute", json={"department": "cleaning", "reason": "  "})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert (await dispatch.post(f"{URL}/nope/reroute", json={"department": "cleaning", "reason": "x"})).status_code == 404

    assert (await dispatch.post(f"{base}/cancel", json={"reason": "fixed by the tenant"})).status_code == 200
    r = await dispatch.post(f"{base}/reroute", json={"department": "cleaning", "reason": "x"})
    assert r.status_code == 409 and r.json()["field"] == "status" and "cancelled" in r.json()["detail"]
    assert (await shown(dispatch, wo))["department"] == "engineering"
    assert len(await events_of(bus, wo["id"], 2)) == 2  # created, cancelled: nothing re-routed


# --- reclassification --------------------------------------------------------------------


async def test_a_referred_complaint_the_desk_makes_serviceable_opens_its_work_order(dispatch, bus):
    event = request("corridor lights flicker all night", kind="complaint", serviceable=False, referral="power company")
    await bus.publish(event)
    await consumed(bus, "dispatch-request-received")
    assert (await dispatch.get(URL, params={"request_id": event.request_id})).json()["items"] == []

    correction = reclassified(event, "complaint", "the corridor lights are ours", department="engineering")
    await bus.publish(correction)
    wo = await work_order_of(dispatch, event)
    assert (wo["kind"], wo["department"], wo["status"], wo["text"]) == ("complaint", "engineering", "created", event.text)
    [created] = await events_of(bus, wo["id"], 1)
    assert isinstance(created, WorkOrderCreated) and created.causation_id == correction.id


async def test_a_service_turned_major_complaint_is_reflagged_escalated_and_rerouted_once(dispatch, bus):
    event = request("the guard shouted at my staff at the door")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    correction = reclassified(event, "complaint", "a complaint about a guard, and a serious one",
                              severity="major", major=True, department="security")
    await bus.publish(correction)

    _, escalated, rerouted = await events_of(bus, wo["id"], 3)
    assert isinstance(escalated, WorkOrderEscalated) and (escalated.level, escalated.reason) == ("manager", "major complaint")
    assert escalated.kind == "complaint" and escalated.causation_id == correction.id
    assert isinstance(rerouted, WorkOrderRerouted) and (rerouted.from_department, rerouted.department) == ("engineering", "security")
    now = await shown(dispatch, wo)
    assert (now["kind"], now["major"], now["department"], now["sla_class"]) == ("complaint", True, "security", "complaint")
    assert [e["level"] for e in now["escalations"]] == ["manager"]

    await bus.publish(msgspec.structs.replace(correction, id=new_event_id()))  # the same correction again
    await consumed(bus, "dispatch-request-reclassified")
    assert len(await events_of(bus, wo["id"], 3)) == 3


async def test_a_job_reclassified_as_praise_is_cancelled_with_the_reason_and_credited(dispatch, bus):
    event = request("thank you, the cleaner was wonderful")
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    await bus.publish(reclassified(event, "praise", "a thank-you, not a job", department="cleaning"))

    _, cancelled = await events_of(bus, wo["id"], 2)
    assert isinstance(cancelled, WorkOrderCancelled) and cancelled.reason == "reclassified as praise: a thank-you, not a job"
    assert (await shown(dispatch, wo))["status"] == "cancelled"
    praise = (await dispatch.get("/v1/plazas/p1/praise")).json()["items"]
    assert [(p["request_id"], p["department"]) for p in praise] == [(event.request_id, "cleaning")]


async def test_a_suggestion_the_desk_turns_into_a_job_leaves_the_suggestions(dispatch, bus):
    event = request("please fix the broken bench by the fountain", kind="suggestion", unit="", area="fountain square")
    await bus.publish(event)
    await consumed(bus, "dispatch-request-received")
    assert [s["request_id"] for s in (await dispatch.get("/v1/plazas/p1/suggestions")).json()["items"]] == [event.request_id]

    await bus.publish(reclassified(event, "service", "a repair, not a suggestion"))
    wo = await work_order_of(dispatch, event)
    assert (wo["kind"], wo["unit"], wo["area"], wo["department"]) == ("service", "", "fountain square", "engineering")
    assert (await dispatch.get("/v1/plazas/p1/suggestions")).json()["items"] == []


async def test_a_correction_that_arrives_before_its_request_waits_for_it(dispatch, bus):
    event = request("water is dripping from the ceiling", kind="praise")
    await bus.publish(reclassified(event, "service", "a leak, not praise"))
    await bus.publish(event)
    wo = await work_order_of(dispatch, event)
    assert (wo["kind"], wo["status"]) == ("service", "created")
    assert (await dispatch.get("/v1/plazas/p1/praise")).json()["items"] == []

async def test_the_open_jobs_are_listed_in_one_call_and_the_finished_in_another(dispatch, bus):
    kept, called_off = request("the lift is stuck between floors"), request("the corridor light flickers")
    for event in (kept, called_off):
        await bus.publish(event)
    kept_wo, off_wo = await work_order_of(dispatch, kept), await work_order_of(dispatch, called_off)
    r = await dispatch.post(f"{URL}/{off_wo['id']}/cancel", json={"reason": "the caller fixed it"})
    assert r.status_code == 200, r.text

    open_ids = {w["id"] for w in (await dispatch.get(URL, params={"open": "true"})).json()["items"]}
    done_ids = {w["id"] for w in (await dispatch.get(URL, params={"open": "false"})).json()["items"]}
    assert kept_wo["id"] in open_ids and off_wo["id"] not in open_ids
    assert done_ids >= {off_wo["id"]} and kept_wo["id"] not in done_ids
