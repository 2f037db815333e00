"""Intake against a real nats-server and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import pytest

from intake_fixtures import intake, intake_events  # noqa: F401  (intake: the fixture)
from libs.contracts.events import RequestReceived
from tests.support.harness import eventually


async def received_events(bus) -> list[RequestReceived]:
    return await intake_events(bus, "RequestReceived")


async def test_phone_request_is_accepted_classified_and_published(intake, bus):
    r = await intake.post(
        "/v1/plazas/p1/requests",
        json={"channel": "phone", "unit": "A-203", "text": "the drain in the shop is blocked",
              "contact": {"name": "Li Ming", "phone": "13800000000"}},
    )
    assert r.status_code == 202
    body = r.json()
    assert body["kind"] == "service" and body["serviceable"] is True and "referral" not in body

    shown = (await intake.get(f"/v1/plazas/p1/requests/{body['id']}")).json()
    assert shown["channel"] == "phone" and shown["contact"]["phone"] == "13800000000"
    assert shown["received_at"].endswith("Z")

    events = await eventually(
        lambda: _with_id(bus, body["id"]), what="RequestReceived on the INTAKE stream"
    )
    assert events[0].unit == "A-203" and events[0].kind == "service"


def runtime_of(client):
    return client.app.dependencies["runtime"].dependency()


async def test_without_a_key_the_request_is_published_first_and_reaches_the_read_model(intake, bus):
    """Answered once JetStream has the event; intake's list takes the row from its stream."""
    body = (await intake.post("/v1/plazas/p1/requests", json={"channel": "visit", "unit": "B-102", "text": "门锁坏了"})).json()
    assert (await intake.get(f"/v1/plazas/p1/requests/{body['id']}")).json()["text"] == "门锁坏了"  # at once
    assert (await intake.get(f"/v1/plazas/p2/requests/{body['id']}")).status_code == 404  # another plaza's id space

    async def listed():
        items = (await intake.get("/v1/plazas/p1/requests", params={"unit": "B-102"})).json()["items"]
        return [i for i in items if i["id"] == body["id"]]

    [row] = await eventually(listed, what="the request on intake's read model")
    assert (row["channel"], row["kind"], row["status"], row["received_by"]) == ("visit", "service", "received", "front-desk")
    assert len(await _with_id(bus, body["id"])) == 1


async def test_when_the_broker_cannot_take_a_request_it_is_stored_and_relayed_later(intake, bus):
    runtime = runtime_of(intake)

    async def broker_down(event, timeout_s=2.0):
        raise ConnectionError("nats: no servers available")

    runtime.publish = broker_down  # the instance's own, for this test only
    try:
        r = await intake.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": "B-103", "text": "电梯停了"})
    finally:
        del runtime.publish
    assert r.status_code == 202  # nothing lost: the transactional way took it
    body = r.json()
    shown = (await intake.get(f"/v1/plazas/p1/requests/{body['id']}")).json()
    assert shown["text"] == "电梯停了"
    [event] = await eventually(lambda: _with_id(bus, body["id"]), what="the relay to publish the stored request")
    assert event.unit == "B-103" and event.channel == "phone"


async def _with_id(bus, request_id):
    return [e for e in await received_events(bus) if e.request_id == request_id]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我要投诉保安态度差", "complaint"),
        ("表扬保洁阿姨，谢谢", "praise"),
        ("I suggest longer opening hours", "suggestion"),
        ("air conditioning is not cooling", "service"),
    ],
)
async def test_keywords_classify_the_request(intake, text, kind):
    r = await intake.post("/v1/plazas/p1/requests", json={"channel": "online", "unit": "A-203", "text": text})
    assert r.json()["kind"] == kind


async def test_clerk_override_wins_over_keywords(intake):
    r = await intake.post(
        "/v1/plazas/p1/requests",
        json={"channel": "visit", "unit": "A-203", "text": "thank you but the door is broken", "kind": "service"},
    )
    assert r.json()["kind"] == "service" and r.json()["kind_reason"] == "set by the clerk"


async def test_unserviceable_request_is_referred_with_the_number(intake):
    r = await intake.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": "A-203", "text": "家里燃气没有了"})
    body = r.json()
    assert body["serviceable"] is False and "96777" in body["referral"]


async def test_idempotency_key_replays_and_refuses_a_different_body(intake, bus):
    payload = {"channel": "letter", "unit": "A-203", "text": "lights flicker in corridor"}
    first = await intake.post("/v1/plazas/p1/requests", json=payload, headers={"Idempotency-Key": "abc"})
    again = await intake.post("/v1/plazas/p1/requests", json=payload, headers={"Idempotency-Key": "abc"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    other = await intake.post(
        "/v1/plazas/p1/requests", json={**payload, "text": "something else"}, headers={"Idempotency-Key": "abc"}
    )
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    listed = (await intake.get("/v1/plazas/p1/requests", params={"unit": "A-203"})).json()["items"]
    assert sum(1 for item in listed if item["text"] == payload["text"]) == 1


@pytest.mark.parametrize(
    ("plaza", "body", "status", "field"),
    [
        ("p1", {"channel": "fax", "unit": "A-203", "text": "x"}, 400, "channel"),
        ("p1", {"channel": "phone", "unit": 203, "text": "x"}, 400, "unit"),
        ("p1", {"channel": "phone", "unit": "Z-999", "text": "x"}, 422, "unit"),
        ("nowhere", {"channel": "phone", "unit": "A-203", "text": "x"}, 404, "plaza"),
        ("p1", {"channel": "phone", "text": "x"}, 422, "contact"),  # no unit, no area: who to answer?
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(intake, plaza, body, status, field):
    r = await intake.post(f"/v1/plazas/{plaza}/requests", json=body)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
