"""A visit after every job: door-to-door answers, and jobs that name no unit (a public area,
a caller who is no occupant) followed up with the request's contact. Real nats-server and
database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import utcnow
from libs.contracts.events import Contact, RequestReceived, VisitCompleted
from tests.integration.survey.test_survey_fatigue_links import (  # noqa: F401  (survey: the fixture)
    DAY, VISITS, _for, closed, survey, survey_events, visit_of, visits,
)
from tests.support.harness import eventually


async def test_a_door_to_door_visit_is_recorded_and_announced_with_its_channel(survey, bus):
    await bus.publish(closed("wo-d1", "G-701", utcnow() - DAY))
    [visit] = await visit_of(survey, "wo-d1")
    answer = {"rating": "satisfied", "comment": "上门回访，地漏已通", "channel": "visit"}
    r = await survey.post(f"{VISITS}/{visit['id']}/response", json=answer)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["channel"]) == ("done", "visit")
    [event] = await eventually(lambda: _for(survey_events(bus, VisitCompleted), visit["id"]), what="VisitCompleted")
    assert (event.channel, event.rating) == ("visit", "satisfied")

    other = await survey.post(f"{VISITS}/{visit['id']}/response", json={**answer, "channel": "letter"})
    assert other.status_code in (400, 409)
    [fresh] = await visit_of(survey, "wo-d1")
    assert fresh["channel"] == "visit"


async def test_an_unknown_channel_is_refused_naming_the_field(survey, bus):
    await bus.publish(closed("wo-d2", "G-701", utcnow()))
    [visit] = await visit_of(survey, "wo-d2")
    r = await survey.post(f"{VISITS}/{visit['id']}/response", json={"rating": "satisfied", "channel": "letter"})
    assert r.status_code == 400 and "channel" in r.text


async def test_public_area_jobs_are_visited_each_by_its_own_callers_phone(survey, bus):
    """Two jobs in the east car park, a day apart, from two callers: no fatigue window
    between them (they share no occupant), each visit shows who asked and where."""
    at = utcnow()
    callers = {"rq-b2": ("张先生", "13800000001", "B2 car park"), "rq-gate": ("路人李", "13900000002", "east gate")}
    for request_id, (name, phone, area) in callers.items():
        await bus.publish(RequestReceived(
            plaza_id="p1", correlation_id=request_id, occurred_at=at - 2 * DAY, request_id=request_id, unit="",
            channel="phone", kind="service", text=f"{area}: the light is out", area=area,
            contact=Contact(name=name, phone=phone),
        ))
    for n, request_id in enumerate(callers):
        close = closed(f"wo-{request_id}", "", at - dt.timedelta(hours=n))
        await bus.publish(msgspec.structs.replace(close, request_id=request_id))

    for request_id, (name, phone, area) in callers.items():
        async def shown(wo=f"wo-{request_id}"):
            [v] = await visit_of(survey, wo)
            return v if v["occupant_phone"] else None

        visit = await eventually(shown, what=f"{request_id}'s visit with its caller's phone")
        assert (visit["unit"], visit["area"], visit["occupant_name"], visit["occupant_phone"]) == ("", area, name, phone)
        assert (visit["status"], visit["method"]) == ("pending", "phone")
    assert {v["work_order_id"] for v in await visits(survey, status="pending")} >= {"wo-rq-b2", "wo-rq-gate"}
