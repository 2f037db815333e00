"""Survey against a real nats-server and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    Occupant,
    PlazaRegistered,
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    WorkOrderClosed,
)
from tests.support.harness import archive_taken, as_actor, client_for, eventually, register_plazas, service_settings
from services.survey.app import create_app
from services.survey.settings import Settings
from services.survey.visits import services as visit_services

VISITS = "/v1/plazas/p1/visits"


@pytest.fixture
def make_survey(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    async def start(**overrides):
        await bus.declare_streams("archive", "dispatch", "intake")
        settings = service_settings(
            Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
            schemas=cleanup_schemas, **overrides,
        )
        return client_for(create_app(settings))

    return start


@pytest.fixture
async def survey(make_survey, bus):
    async with await make_survey() as client:
        await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
        await register_plazas(bus, "p2")
        await bus.publish(unit_registered(revision=1, occupant="Li Ming", phone="13800000000"))
        await consumer_drained(bus, "ARCHIVE", "survey-archive")
        # These tests close many jobs on one unit to pin the visit mechanics; the fatigue
        # window that would skip all but the first is tested in test_survey_fatigue_links.py.
        r = await client.put("/v1/plazas/p1/survey-policy", json={"fatigue_days": 0})
        assert r.status_code == 200 and r.json()["fatigue_days"] == 0
        yield client


def unit_registered(*, revision: int, occupant: str, phone: str) -> UnitRegistered:
    return UnitRegistered(
        plaza_id="p1", correlation_id="seed", unit="A-203", revision=revision, area_m2=80.0,
        use="shop", occupant=Occupant(name=occupant, kind="merchant", phone=phone),
    )


def closed(work_order_id: str, *, reopen_count: int = 0, occurred_at: dt.datetime | None = None) -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id="p1", correlation_id=f"req-{work_order_id}", causation_id="resolve-event",
        occurred_at=occurred_at or utcnow(), work_order_id=work_order_id, request_id=f"req-{work_order_id}",
        unit="A-203", department="engineering", reopen_count=reopen_count, paid=False,
    )


async def visits_for(client, work_order_id: str, **params) -> list[dict]:
    r = await client.get(VISITS, params={"work_order_id": work_order_id, **params})
    assert r.status_code == 200
    return r.json()["items"]


async def wait_for_visits(client, work_order_id: str, count: int = 1) -> list[dict]:
    async def probe():
        items = await visits_for(client, work_order_id)
        return items if len(items) >= count else None

    return await eventually(probe, what=f"{count} visit(s) for work order {work_order_id}")


async def consumer_drained(bus, stream: str, durable: str) -> None:
    """Everything on the stream delivered to survey and acknowledged: its state is final."""

    await eventually(lambda: bus.caught_up(stream, durable), what=f"{durable} to acknowledge everything on {stream}")


async def survey_events(bus, cls):
    return [msgspec.json.decode(m.data, type=cls) for m in await bus.messages("SURVEY", f"plazadesk.survey.p1.visit.{cls.__name__.removeprefix('Visit').lower()}")]


async def scheduled_for(bus, work_order_id: str) -> list[VisitScheduled]:
    return [e for e in await survey_events(bus, VisitScheduled) if e.work_order_id == work_order_id]


async def test_closed_work_order_gets_one_pending_visit_due_after_the_window(survey, bus):
    close = closed("wo-1")
    await bus.publish(close)

    [visit] = await wait_for_visits(survey, "wo-1")
    assert visit["status"] == "pending" and visit["rating"] is None
    assert visit["unit"] == "A-203" and visit["department"] == "engineering" and visit["reopen_count"] == 0
    assert visit["due_at"] == (close.occurred_at + dt.timedelta(hours=72)).isoformat().replace("+00:00", "Z")
    assert visit["occupant_name"] == "Li Ming" and visit["occupant_phone"] == "13800000000"
    assert (await survey.get(f"{VISITS}/{visit['id']}")).json() == visit

    [event] = await eventually(lambda: scheduled_for(bus, "wo-1"), what="VisitScheduled on the SURVEY stream")
    assert event.visit_id == visit["id"] and event.due_at == close.occurred_at + dt.timedelta(hours=72)
    assert event.correlation_id == close.correlation_id and event.causation_id == close.id


async def test_duplicated_close_never_makes_a_second_visit(survey, bus):
    close = closed("wo-2")
    await bus.publish(close, msg_id="first-publish")
    await bus.publish(close, msg_id="second-publish")  # past JetStream's dedup: the inbox's turn
    resent = msgspec.structs.replace(close, id=new_event_id())  # same close, new event id
    await bus.publish(resent)

    await wait_for_visits(survey, "wo-2")
    await consumer_drained(bus, "DISPATCH", "survey-work-order-closed")
    assert len(await visits_for(survey, "wo-2")) == 1
    assert len(await eventually(lambda: scheduled_for(bus, "wo-2"), what="VisitScheduled")) == 1


async def test_close_after_a_reopening_makes_a_new_visit(survey, bus):
    await bus.publish(closed("wo-3"))
    await wait_for_visits(survey, "wo-3")
    await bus.publish(closed("wo-3", reopen_count=1))

    visits = await wait_for_visits(survey, "wo-3", count=2)
    assert sorted(v["reopen_count"] for v in visits) == [0, 1]
    assert len({v["id"] for v in visits}) == 2


async def test_unsatisfied_answer_completes_the_visit_and_is_published(survey, bus):
    await bus.publish(closed("wo-4"))
    [visit] = await wait_for_visits(survey, "wo-4")

    r = await survey.post(
        f"{VISITS}/{visit['id']}/response",
        json={"rating": "unsatisfied", "comment": "drain blocked again", "channel": "phone"},
        headers=as_actor("clerk-wang"),
    )
    assert r.status_code == 200
    done = r.json()
    assert done["status"] == "done" and done["rating"] == "unsatisfied" and done["answered_by"] == "clerk-wang"
    assert (await visits_for(survey, "wo-4", status="done"))[0]["id"] == visit["id"]

    async def completed():
        return [e for e in await survey_events(bus, VisitCompleted) if e.visit_id == visit["id"]]

    [event] = await eventually(completed, what="VisitCompleted on the SURVEY stream")
    assert event.rating == "unsatisfied" and event.comment == "drain blocked again" and event.channel == "phone"
    assert (event.work_order_id, event.unit, event.department) == ("wo-4", "A-203", "engineering")
    assert event.correlation_id == "req-wo-4"


async def test_answering_twice_is_a_conflict_and_keeps_the_first_answer(survey, bus):
    await bus.publish(closed("wo-5"))
    [visit] = await wait_for_visits(survey, "wo-5")
    url = f"{VISITS}/{visit['id']}/response"
    assert (await survey.post(url, json={"rating": "satisfied"})).status_code == 200

    again = await survey.post(url, json={"rating": "unsatisfied"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert (await survey.get(f"{VISITS}/{visit['id']}")).json()["rating"] == "satisfied"


async def test_unknown_visit_and_bad_rating_get_problems_naming_the_field(survey, bus):
    missing = await survey.post(f"{VISITS}/nope/response", json={"rating": "satisfied"})
    assert missing.status_code == 404 and missing.json()["field"] == "id"
    assert (await survey.get(f"{VISITS}/nope")).status_code == 404
    unknown_status = await survey.get(VISITS, params={"status": "late"})
    assert unknown_status.status_code == 400 and unknown_status.json()["field"] == "status"

    await bus.publish(closed("wo-6"))
    [visit] = await wait_for_visits(survey, "wo-6")
    bad = await survey.post(f"{VISITS}/{visit['id']}/response", json={"rating": "great"})
    assert bad.status_code == 400 and bad.json()["field"] == "rating"
    assert (await survey.get(f"{VISITS}/{visit['id']}")).json()["status"] == "pending"


async def test_visit_goes_overdue_when_the_clock_passes_due(survey, bus, monkeypatch):
    close = closed("wo-7")
    await bus.publish(close)
    [visit] = await wait_for_visits(survey, "wo-7")
    assert await visits_for(survey, "wo-7", status="overdue") == []

    monkeypatch.setattr(visit_services, "now", lambda: close.occurred_at + dt.timedelta(hours=73))
    [late] = await visits_for(survey, "wo-7", status="overdue")
    assert late["id"] == visit["id"] and late["status"] == "overdue"
    assert await visits_for(survey, "wo-7", status="pending") == []
    assert (await survey.get(f"{VISITS}/stats")).json()["overdue"] == 1

    answered = await survey.post(f"{VISITS}/{visit['id']}/response", json={"rating": "basically_satisfied"})
    assert answered.json()["status"] == "done"  # a late answer still counts
    assert await visits_for(survey, "wo-7", status="overdue") == []


async def test_stats_give_coverage_and_satisfaction(survey, bus):
    for wo in ("wo-8", "wo-9"):
        await bus.publish(closed(wo))
    [first] = await wait_for_visits(survey, "wo-8")
    await wait_for_visits(survey, "wo-9")
    await survey.post(f"{VISITS}/{first['id']}/response", json={"rating": "satisfied", "channel": "online"})

    stats = (await survey.get(f"{VISITS}/stats")).json()
    assert stats["scheduled"] == 2 and stats["done"] == 1 and stats["overdue"] == 0
    assert stats["coverage"] == 0.5
    assert stats["satisfaction"] == {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0}
    assert (await survey.get("/v1/plazas/p2/visits/stats")).json()["scheduled"] == 0


async def test_newest_unit_revision_names_whom_to_call(survey, bus):
    await bus.publish(unit_registered(revision=3, occupant="Zhao Lei", phone="139"))
    await bus.publish(unit_registered(revision=2, occupant="Old Tenant", phone="137"))  # late, older
    await bus.publish(closed("wo-10"))
    await wait_for_visits(survey, "wo-10")
    await consumer_drained(bus, "ARCHIVE", "survey-archive")
    [visit] = await visits_for(survey, "wo-10")
    assert (visit["occupant_name"], visit["occupant_phone"]) == ("Zhao Lei", "139")


async def test_visit_window_is_a_setting(make_survey, bus):
    async with await make_survey(visit_window_hours=24) as client:
        await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
        await bus.publish(unit_registered(revision=1, occupant="Li Ming", phone="13800000000"))
        await archive_taken(bus, "survey")
        close = closed("wo-11")
        await bus.publish(close)
        [visit] = await wait_for_visits(client, "wo-11")
    assert visit["due_at"] == (close.occurred_at + dt.timedelta(hours=24)).isoformat().replace("+00:00", "Z")


# --- an occupant's token (one unit): their own unit's visits only ---------------------

OCCUPANT = {"plazas": {"p1": ["occupant"]}, "unit": "A-203"}


async def test_an_occupant_lists_and_answers_only_their_own_units_visits(survey, bus):
    from tests.support.harness import bearer

    occupant = bearer("occupant:p1:A-203:abc", **OCCUPANT)
    await bus.publish(UnitRegistered(plaza_id="p1", correlation_id="seed", unit="B-102", revision=1, area_m2=60.0,
                                     use="shop", occupant=Occupant(name="Wang", kind="merchant", phone="13900000000")))
    await bus.publish(closed("wo-own"))
    await bus.publish(msgspec.structs.replace(closed("wo-other"), unit="B-102"))
    [own] = await wait_for_visits(survey, "wo-own")
    [other] = await wait_for_visits(survey, "wo-other")

    r = await survey.get(VISITS, headers=occupant)
    assert r.status_code == 200 and {v["unit"] for v in r.json()["items"]} == {"A-203"}
    assert own["id"] in {v["id"] for v in r.json()["items"]}
    r = await survey.get(VISITS, params={"unit": "B-102"}, headers=occupant)
    assert r.status_code == 404 and r.json()["field"] == "unit"

    r = await survey.post(f"{VISITS}/{other['id']}/response", json={"rating": "unsatisfied"}, headers=occupant)
    assert r.status_code == 404 and r.json()["field"] == "id"  # not theirs: just not found
    r = await survey.post(f"{VISITS}/{own['id']}/response", json={"rating": "satisfied", "channel": "phone"},
                          headers=occupant)
    assert r.status_code == 200, r.text
    assert r.json()["channel"] == "online" and r.json()["answered_by"] == "occupant:p1:A-203:abc"

    for path in (f"{VISITS}/{own['id']}", f"{VISITS}/stats", "/v1/plazas/p1/campaigns"):
        assert (await survey.get(path, headers=occupant)).status_code == 403, path
