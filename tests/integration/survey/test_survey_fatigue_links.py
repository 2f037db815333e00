"""Survey policy, the fatigue window and no-login survey links, against a real nats-server
and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import base64
import datetime as dt

import msgspec
import pytest

from libs.contracts import utcnow
from libs.contracts.events import VisitCompleted, VisitScheduled, VisitSkipped, WorkOrderClosed
from tests.support.harness import client_for, eventually, service_settings
from services.survey.links import domain as links
from services.survey.app import create_app
from services.survey.settings import Settings
from services.survey.visits import services as visit_services
from tests.support.archive_facts import register

VISITS = "/v1/plazas/p1/visits"
POLICY = "/v1/plazas/p1/survey-policy"
SECRET = "test-secret-for-survey-links-0123"
DAY = dt.timedelta(days=1)


@pytest.fixture
async def survey(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(
        Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
        schemas=cleanup_schemas, link_secret=SECRET,
    )
    async with client_for(create_app(settings)) as client:
        await register(bus, "p2")
        await register(bus, "p1", *UNITS, known_by="survey")
        yield client


UNITS = ("B-100", "B-101", "C-301", "D-401", "E-501", "F-601", "G-701", "H-801")


def closed(wo: str, unit: str, at: dt.datetime, reopen_count: int = 0, kind: str | None = "service") -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id="p1", correlation_id=f"req-{wo}", occurred_at=at, work_order_id=wo, kind=kind,
        request_id=f"req-{wo}", unit=unit, department="engineering", reopen_count=reopen_count, paid=False,
    )


async def visits(client, **params) -> list[dict]:
    r = await client.get(VISITS, params=params)
    assert r.status_code == 200
    return r.json()["items"]


async def visit_of(client, wo: str, count: int = 1) -> list[dict]:
    async def probe():
        items = await visits(client, work_order_id=wo)
        return items if len(items) >= count else None

    return await eventually(probe, what=f"{count} visit(s) for {wo}")


async def survey_events(bus, cls) -> list:
    what = cls.__name__.removeprefix("Visit").lower()
    return [msgspec.json.decode(m.data, type=cls) for m in await bus.messages("SURVEY", f"plazadesk.survey.p1.visit.{what}")]


# --- policy ---------------------------------------------------------------------------------

async def test_policy_has_defaults_and_a_put_changes_the_window_of_later_visits(survey, bus):
    shown = (await survey.get(POLICY)).json()
    assert (shown["window_hours"], shown["fatigue_days"]) == (72, 30)
    before = closed("wo-before", "B-100", utcnow())  # a batch under the defaults (kept a few seconds)
    await bus.publish(before)
    [visit] = await visit_of(survey, "wo-before")
    assert visit["due_at"] == (before.occurred_at + dt.timedelta(hours=72)).isoformat().replace("+00:00", "Z")
    assert [d["code"] for d in shown["campaign"]["dimensions"]][:4] == ["cleanliness", "security", "repairs", "staff_attitude"]

    r = await survey.put(POLICY, json={"window_hours": 24, "fatigue_days": 14, "campaign": {"sample_size": 50}})
    assert r.status_code == 200 and r.json()["window_hours"] == 24 and r.json()["campaign"]["sample_size"] == 50
    assert (await survey.get(POLICY)).json()["fatigue_days"] == 14
    assert (await survey.get("/v1/plazas/p2/survey-policy")).json()["window_hours"] == 72  # per plaza

    close = closed("wo-w", "B-101", utcnow())
    await bus.publish(close)
    [visit] = await visit_of(survey, "wo-w")
    assert visit["due_at"] == (close.occurred_at + dt.timedelta(hours=24)).isoformat().replace("+00:00", "Z")


async def test_bad_policy_is_refused_naming_the_field(survey):
    for body, field in (
        ({"fatigue_days": -1}, "fatigue_days"),
        ({"window_hours": 0}, "window_hours"),
        ({"link_ttl_hours": 24 * 30 + 1}, "link_ttl_hours"),  # a link lives a month at most
        ({"campaign": {"dimensions": []}}, "campaign.dimensions"),
        ({"campaign": {"scale": "ten_point"}}, "campaign.scale"),
    ):
        r = await survey.put(POLICY, json=body)
        assert r.status_code in (400, 422) and r.json()["field"] == field, body
    too_long = await survey.put(POLICY, json={"link_ttl_hours": 24 * 30 + 1})
    assert too_long.status_code == 422 and "30 days" in too_long.json()["detail"]
    assert (await survey.get(POLICY)).json()["fatigue_days"] == 30


# --- fatigue window -----------------------------------------------------------------------------

async def test_second_close_within_the_fatigue_window_is_visited_by_survey_link_and_counted(survey, bus):
    """The procedure asks for a visit after every job: the fatigue window spares the unit a
    second call, not the visit. A cleaning job five days after a repair gets its visit, by link."""
    first_at = utcnow() - 10 * DAY
    for wo, at in (("wo-f1", first_at), ("wo-f2", first_at + 5 * DAY)):
        await bus.publish(closed(wo, "C-301", at))
    [first] = await visit_of(survey, "wo-f1")
    [second] = await visit_of(survey, "wo-f2")
    assert (first["status"], first["method"], first["method_reason"]) == ("overdue", "phone", None)
    assert (second["status"], second["method"], second["method_reason"]) == ("overdue", "online", "fatigue")
    assert second["skip_reason"] is None
    assert await visits(survey, status="skipped") == []

    stats = (await survey.get(f"{VISITS}/stats")).json()
    assert (stats["scheduled"], stats["skipped"], stats["overdue"], stats["coverage"]) == (2, 0, 2, 0.0)
    await survey.post(f"{VISITS}/{first['id']}/response", json={"rating": "satisfied"})
    assert (await survey.get(f"{VISITS}/stats")).json()["coverage"] == 0.5  # the online one is owed too

    link = await survey.post(f"{VISITS}/{second['id']}/link")
    assert link.status_code == 201, link.text
    answered = await survey.post(f"/v1/plazas/p1/survey-links/{link.json()['token']}", json={"rating": "satisfied"})
    assert answered.status_code == 200, answered.text
    assert (await survey.get(f"{VISITS}/stats")).json()["coverage"] == 1.0
    scheduled = await eventually(lambda: _for(survey_events(bus, VisitScheduled), second["id"]), what="VisitScheduled")
    assert len(scheduled) == 1 and await survey_events(bus, VisitSkipped) == []

    # Past the window (30 days by default) after the last call the unit is called again (the
    # online visit does not restart the window); so is a reopened job.
    await bus.publish(closed("wo-f3", "C-301", first_at + 31 * DAY))
    await bus.publish(closed("wo-f2", "C-301", first_at + 6 * DAY, reopen_count=1))
    [third] = await visit_of(survey, "wo-f3")
    assert (third["status"], third["method"]) == ("pending", "phone")
    reopened = [v for v in await visit_of(survey, "wo-f2", count=2) if v["reopen_count"] == 1]
    assert reopened[0]["method"] == "phone"


async def test_a_complaint_is_called_even_within_the_fatigue_window(survey, bus):
    """The close itself says it is a complaint: no creation event is needed (none is sent)."""
    at = utcnow()
    await bus.publish(closed("wo-c1", "D-401", at - DAY))
    await visit_of(survey, "wo-c1")
    await bus.publish(closed("wo-c2", "D-401", at, kind="complaint"))
    [complaint] = await visit_of(survey, "wo-c2")
    assert (complaint["status"], complaint["method"]) == ("pending", "phone")
    [scheduled] = await eventually(
        lambda: _for(survey_events(bus, VisitScheduled), complaint["id"]), what="VisitScheduled for the complaint"
    )
    assert scheduled.due_at == at + dt.timedelta(hours=72)


async def test_a_close_without_a_kind_counts_as_an_ordinary_job(survey, bus):
    """An older producer's close carries no kind: the fatigue window applies to it."""
    at = utcnow()
    await bus.publish(closed("wo-e1", "E-501", at - DAY))
    await visit_of(survey, "wo-e1")
    await bus.publish(closed("wo-e2", "E-501", at, kind=None))
    [visit] = await visit_of(survey, "wo-e2")
    assert (visit["status"], visit["method"], visit["method_reason"]) == ("pending", "online", "fatigue")


async def _for(events, visit_id):
    return [e for e in await events if e.visit_id == visit_id]


# --- survey links -------------------------------------------------------------------------------

async def _link_for(client, bus, wo: str, unit: str) -> tuple[dict, dict]:
    await bus.publish(closed(wo, unit, utcnow()))
    [visit] = await visit_of(client, wo)
    r = await client.post(f"{VISITS}/{visit['id']}/link")
    assert r.status_code == 201
    return visit, r.json()


async def test_online_link_round_trip_answers_the_visit_with_channel_online(survey, bus):
    visit, link = await _link_for(survey, bus, "wo-l1", "F-601")
    assert link["path"] == f"/v1/plazas/p1/survey-links/{link['token']}"

    page = await survey.get(link["path"])
    assert page.status_code == 200
    question = page.json()
    assert (question["visit_id"], question["unit"], question["status"]) == (visit["id"], "F-601", "pending")
    # Whoever holds the link may not be the occupant: no phone, no full name.
    assert question["occupant"] == "L*" and not {"occupant_name", "occupant_phone"} & set(question)
    assert question["ratings"] == ["satisfied", "basically_satisfied", "unsatisfied"]
    assert "not_fixed" in question["reason_codes"]

    answer = {"rating": "unsatisfied", "reasons": ["not_fixed", "slow_response"], "comment": "still dripping"}
    r = await survey.post(link["path"], json=answer)
    assert r.status_code == 200
    done = r.json()
    assert (done["status"], done["channel"], done["occupant"]) == ("done", "online", "L*")
    assert done["reasons"] == ["not_fixed", "slow_response"]
    assert not {"occupant_name", "occupant_phone", "answered_by"} & set(done)
    recorded = (await survey.get(f"{VISITS}/{visit['id']}")).json()
    assert (recorded["rating"], recorded["answered_by"]) == ("unsatisfied", "occupant-online")

    [event] = await eventually(lambda: _for(survey_events(bus, VisitCompleted), visit["id"]), what="VisitCompleted")
    assert (event.channel, event.rating, event.reasons) == ("online", "unsatisfied", ["not_fixed", "slow_response"])

    again = await survey.post(link["path"], json={"rating": "satisfied"})  # a link answers once
    assert again.status_code == 409 and again.json()["detail"] == "this survey link has already been answered"
    assert (await survey.get(link["path"])).status_code == 409
    assert (await survey.post(f"{VISITS}/{visit['id']}/link")).status_code == 409  # answered: no new link


def _retoken(token: str, **change) -> str:
    payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("|")
    for index, value in change.items():
        raw[int(index[1:])] = value
    forged = base64.urlsafe_b64encode("|".join(raw).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


def _flip_signature(token: str) -> str:
    payload, signature = token.split(".")
    first = "B" if signature[0] == "A" else "A"  # a leading character carries 6 full bits
    return f"{payload}.{first}{signature[1:]}"


async def test_tampered_forged_and_expired_links_are_refused(survey, bus, monkeypatch):
    visit, link = await _link_for(survey, bus, "wo-t1", "G-701")
    other, _ = await _link_for(survey, bus, "wo-t2", "H-801")
    token = link["token"]
    far_future = str(int((utcnow() + 365 * DAY).timestamp()))
    forged_elsewhere = links.sign("some-other-secret-entirely", links.new_claims("p1", visit["id"], utcnow(), DAY))
    # Signed with the deployment's own secret, yet claiming ten years: refused all the same.
    ten_years = links.LinkClaims(plaza_id="p1", visit_id=visit["id"], issued_at=utcnow(),
                                 expires_at=utcnow() + 3650 * DAY, link_id="forever")
    for bad in (
        _retoken(token, p2=other["id"]),  # pointed at another visit
        _retoken(token, p4=far_future),  # expiry pushed out
        _flip_signature(token),
        forged_elsewhere,
        links.sign(SECRET, ten_years),
        "not-a-token",
    ):
        for r in (await survey.get(f"/v1/plazas/p1/survey-links/{bad}"), await survey.post(f"/v1/plazas/p1/survey-links/{bad}", json={"rating": "satisfied"})):
            assert r.status_code == 403, bad
            assert r.headers["content-type"].startswith("application/problem+json") and r.json()["field"] == "token"

    # A genuine link used under another plaza's path is refused too.
    for r in (await survey.get(f"/v1/plazas/p2/survey-links/{token}"),
              await survey.post(f"/v1/plazas/p2/survey-links/{token}", json={"rating": "satisfied"})):
        assert r.status_code == 403 and r.json()["detail"] == "this link belongs to another plaza"

    monkeypatch.setattr(visit_services, "now", lambda: utcnow() + 8 * DAY)  # default link lifetime: 7 days
    expired = await survey.post(link["path"], json={"rating": "satisfied"})
    assert expired.status_code == 410 and expired.json()["field"] == "token"
    assert (await survey.get(link["path"])).status_code == 410
    monkeypatch.undo()
    assert (await survey.get(f"{VISITS}/{visit['id']}")).json()["rating"] is None
    assert (await survey.get(f"{VISITS}/{other['id']}")).json()["rating"] is None


async def test_a_replayed_or_reused_link_answers_409_and_changes_nothing(survey, bus):
    visit, link = await _link_for(survey, bus, "wo-r1", "E-501")
    assert (await survey.post(link["path"], json={"rating": "satisfied"})).status_code == 200
    for _ in range(2):
        replay = await survey.post(link["path"], json={"rating": "unsatisfied"})
        assert replay.status_code == 409 and replay.json()["field"] == "token"
    assert (await survey.get(f"{VISITS}/{visit['id']}")).json()["rating"] == "satisfied"


async def test_the_link_routes_are_rate_limited_per_client_address(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(
        Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
        schemas=cleanup_schemas, link_secret=SECRET, link_rate_per_minute=3,
    )
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", known_by="survey")
        guesses = [await client.get("/v1/plazas/p1/survey-links/guess.guess") for _ in range(3)]
        assert [r.status_code for r in guesses] == [403, 403, 403]
        for r in (await client.get("/v1/plazas/p1/survey-links/guess.guess"),
                  await client.post("/v1/plazas/p1/survey-links/guess.guess", json={"rating": "satisfied"})):
            assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 20
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["title"] == "Too Many Requests"
        assert (await client.get(POLICY)).status_code == 200  # only the occupant's link routes are limited


async def test_without_a_configured_secret_one_is_generated_and_kept(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with client_for(create_app(settings)):
        pass
    kept = tmp_path / "survey-link-secret"
    assert kept.stat().st_mode & 0o777 == 0o600 and settings.link_secret == kept.read_text().strip()
    again = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                             schemas=cleanup_schemas)
    create_app(again)
    assert again.link_secret == settings.link_secret and len(settings.link_secret) >= 32
