"""The manager's desk in dispatch: the escalation inbox (every escalated job, the most
pressing first) and the follow-up of merchants' suggestions. Against a real nats-server
and a real database; the clock is the test's (sla.now)."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.contracts import new_event_id
from libs.contracts.events import RequestReceived
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from services.dispatch.sla import services as sla
from tests.support.archive_facts import register
from tests.support.harness import bearer, client_for, eventually, service_settings

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def minutes(self, n: int) -> None:
        self.at = T0 + dt.timedelta(minutes=n)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(sla, "now", clock)
    return clock


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", "A-203", "B-1204", known_by="dispatch")
        yield client


def request(text: str, *, kind: str = "service", unit: str = "A-203", **fields) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(plaza_id="p1", correlation_id=request_id, actor="clerk-li", request_id=request_id,
                           unit=unit, channel="phone", kind=kind, text=text, **fields)


async def opened(client, bus, event: RequestReceived) -> dict:
    await bus.publish(event)

    async def probe():
        return (await client.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]

    return (await eventually(probe, what=f"a work order for request {event.request_id}"))[0]


async def escalate(client, wo: dict, level: str, reason: str) -> None:
    r = await client.post(f"/v1/plazas/p1/work-orders/{wo['id']}/escalate", json={"level": level, "reason": reason})
    assert r.status_code == 200, r.text


async def inbox(client, **params) -> list[dict]:
    r = await client.get("/v1/plazas/p1/escalations", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# --- the escalation inbox ----------------------------------------------------------------


async def test_the_inbox_puts_open_escalations_and_major_complaints_first_then_the_oldest(dispatch, bus, clock):
    clock.minutes(2)
    roof = await opened(dispatch, bus, request("the roof leaks over the shop"))
    await escalate(dispatch, roof, "manager", "the whole roof must be redone")
    clock.minutes(5)
    sign = await opened(dispatch, bus, request("the shop sign needs new wiring", unit="B-1204"))
    await escalate(dispatch, sign, "supervisor", "the wiring is the landlord's cost")
    assert (await dispatch.post(f"/v1/plazas/p1/work-orders/{sign['id']}/cancel", json={"reason": "tenant did it"})).status_code == 200
    clock.minutes(10)
    car_park = await opened(dispatch, bus, request("car park B2 barrier is broken", unit="", area="car park B2"))
    await escalate(dispatch, car_park, "supervisor", "a new barrier is beyond my limit")
    clock.minutes(20)
    guard = await opened(dispatch, bus, request("保安打人，我要投诉", kind="complaint", major=True))

    async def major_listed():
        items = await inbox(dispatch)
        return items if len(items) == 4 else None

    clock.minutes(30)
    items = await eventually(major_listed, what="the major complaint's escalation")
    assert [(i["work_order_id"], i["level"], i["status"], i["open"], i["age_minutes"]) for i in items] == [
        (guard["id"], "manager", "created", True, 10),  # a major complaint: first, however new
        (roof["id"], "manager", "created", True, 28),
        (car_park["id"], "supervisor", "created", True, 20),
        (sign["id"], "supervisor", "cancelled", False, 25),  # settled: last
    ]
    first = items[0]
    assert (first["kind"], first["major"], first["department"], first["unit"], first["reason"]) == (
        "complaint", True, "security", "A-203", "major complaint")
    assert first["escalated_at"] == "2026-03-02T02:20:00Z" and first["deadline"] is None
    assert (items[2]["unit"], items[2]["area"]) == ("", "car park B2")
    assert "beyond my limit" in items[2]["reason"]

    assert [i["work_order_id"] for i in await inbox(dispatch, open="true")] == [guard["id"], roof["id"], car_park["id"]]
    assert [i["work_order_id"] for i in await inbox(dispatch, level="manager")] == [guard["id"], roof["id"]]
    assert [i["work_order_id"] for i in await inbox(dispatch, open="false")] == [sign["id"]]
    r = await dispatch.get("/v1/plazas/p1/escalations", params={"level": "director"})
    assert r.status_code == 400 and r.json()["field"] == "level"


async def test_the_inbox_is_for_the_supervisor_and_the_manager(dispatch, bus, clock):
    for roles, status in ((["supervisor"], 200), (["manager"], 200), (["clerk"], 403), (["staff"], 403)):
        headers = bearer("someone", plazas={"p1": roles}, department="engineering" if roles == ["staff"] else None)
        assert (await dispatch.get("/v1/plazas/p1/escalations", headers=headers)).status_code == status, roles


# --- suggestion follow-up ----------------------------------------------------------------


async def suggestion(client, bus, text: str) -> RequestReceived:
    event = request(text, kind="suggestion")
    await bus.publish(event)

    async def listed():
        items = (await client.get("/v1/plazas/p1/suggestions")).json()["items"]
        return [s for s in items if s["request_id"] == event.request_id]

    await eventually(listed, what="the suggestion to be listed")
    return event


async def test_a_suggestion_is_considered_then_adopted_with_a_reply_and_its_history_kept(dispatch, bus, clock):
    event = await suggestion(dispatch, bus, "keep the car park open until midnight on Fridays")
    url = f"/v1/plazas/p1/suggestions/{event.request_id}/follow-up"
    [listed] = (await dispatch.get("/v1/plazas/p1/suggestions")).json()["items"]
    assert (listed["state"], listed["reply"], listed["history"], listed["allowed_states"]) == (
        "received", None, [], ["under_consideration"])

    lead = bearer("supervisor-wu", plazas={"p1": ["supervisor"]})
    r = await dispatch.post(url, json={"state": "under_consideration", "note": "ask security"}, headers=lead)
    assert r.status_code == 200 and r.json()["state"] == "under_consideration", r.text

    r = await dispatch.post(url, json={"state": "adopted"})
    assert r.status_code == 422 and r.json()["field"] == "reply"
    clock.minutes(60)
    manager = bearer("manager-liu", plazas={"p1": ["manager"]})
    r = await dispatch.post(url, json={"state": "adopted", "reply": "open until midnight from next Friday"}, headers=manager)
    assert r.status_code == 200, r.text
    adopted = r.json()
    assert (adopted["state"], adopted["reply"], adopted["updated_at"], adopted["allowed_states"]) == (
        "adopted", "open until midnight from next Friday", "2026-03-02T03:00:00Z", [])
    assert [(h["from_state"], h["state"], h["actor"], h["note"]) for h in adopted["history"]] == [
        ("received", "under_consideration", "supervisor-wu", "ask security"),
        ("under_consideration", "adopted", "manager-liu", None),
    ]

    r = await dispatch.post(url, json={"state": "declined", "reply": "changed our mind"})
    assert r.status_code == 409 and r.json()["field"] == "state" and "adopted" in r.json()["detail"]
    assert (await dispatch.get("/v1/plazas/p1/suggestions")).json()["items"] == [adopted]


async def test_suggestions_are_listed_by_state_and_followed_up_by_leads_only(dispatch, bus, clock):
    bench = await suggestion(dispatch, bus, "more benches by the fountain")
    music = await suggestion(dispatch, bus, "softer music in the atrium")
    r = await dispatch.post(f"/v1/plazas/p1/suggestions/{bench.request_id}/follow-up", json={"state": "adopted", "reply": "yes"})
    assert r.status_code == 409 and "under_consideration" in r.json()["detail"]  # considered before decided
    r = await dispatch.post(f"/v1/plazas/p1/suggestions/{bench.request_id}/follow-up", json={"state": "under_consideration"})
    assert r.status_code == 200

    def ids(r) -> list[str]:
        return [s["request_id"] for s in r.json()["items"]]

    assert ids(await dispatch.get("/v1/plazas/p1/suggestions", params={"state": "under_consideration"})) == [bench.request_id]
    assert ids(await dispatch.get("/v1/plazas/p1/suggestions", params={"state": "received"})) == [music.request_id]
    bad = await dispatch.get("/v1/plazas/p1/suggestions", params={"state": "maybe"})
    assert bad.status_code == 400 and bad.json()["field"] == "state"

    clerk = bearer("clerk-li", plazas={"p1": ["clerk"]})
    r = await dispatch.post(f"/v1/plazas/p1/suggestions/{music.request_id}/follow-up", json={"state": "under_consideration"}, headers=clerk)
    assert r.status_code == 403
    r = await dispatch.post("/v1/plazas/p1/suggestions/nope/follow-up", json={"state": "under_consideration"})
    assert r.status_code == 404 and r.json()["field"] == "id"
