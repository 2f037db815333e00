"""Satisfaction campaigns over 500 units, the monthly satisfaction report, and key-account
visit plans, against a real nats-server and a real database (SQLite, and PostgreSQL if here).

Every figure asserted here is worked out by hand in the comments next to it."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections import Counter

import pytest
from openpyxl import load_workbook

from libs.contracts import utcnow
from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered, WorkOrderClosed
from tests.support.harness import as_actor, client_for, eventually, service_settings
from services.survey.app import create_app
from services.survey.settings import Settings

CAMPAIGNS = "/v1/plazas/p1/campaigns"
PLANS = "/v1/plazas/p1/key-account-plans"

# Population (building, occupant kind) → units: 500 in all.
POPULATION = {("A", "merchant"): 120, ("A", "resident"): 80, ("B", "merchant"): 50,
              ("B", "resident"): 100, ("C", "merchant"): 90, ("C", "resident"): 60}
# Sample 70 of 500, proportional: quotas 16.8, 11.2, 7.0, 14.0, 12.6, 8.4 → floors 16, 11, 7,
# 14, 12, 8 = 68; the 2 left go to the largest remainders, A/merchant (.8) and C/merchant (.6).
EXPECTED_ALLOCATION = {("A", "merchant"): 17, ("A", "resident"): 11, ("B", "merchant"): 7,
                       ("B", "resident"): 14, ("C", "merchant"): 13, ("C", "resident"): 8}


def shanghai_months() -> tuple[str, str]:
    today = utcnow().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return today.strftime("%Y-%m"), previous.strftime("%Y-%m")


def unit_event(unit: str, kind: str, key_account: bool = False) -> UnitRegistered:
    return UnitRegistered(
        plaza_id="p1", correlation_id="seed", unit=unit, revision=1, area_m2=60.0,
        use="shop" if kind == "merchant" else "residence",
        occupant=Occupant(name=f"occupant of {unit}", kind=kind, phone="138"), key_account=key_account,
    )


@pytest.fixture
async def survey(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
        yield client


async def archive_drained(bus) -> None:
    await eventually(lambda: bus.caught_up("ARCHIVE", "survey-archive"), timeout=30, what="survey to take in archive's units")


async def register_population(bus) -> None:
    for (building, kind), count in POPULATION.items():
        for i in range(count):
            await bus.publish(unit_event(f"{building}-{kind[0]}{i:03d}", kind))
    await archive_drained(bus)


async def sample_of(client, campaign_id: str) -> list[dict]:
    r = await client.get(f"{CAMPAIGNS}/{campaign_id}/sample")
    assert r.status_code == 200
    return r.json()["items"]


async def answer(client, campaign_id: str, unit: str, answers: dict) -> None:
    r = await client.post(f"{CAMPAIGNS}/{campaign_id}/responses", json={"unit": unit, "answers": answers})
    assert r.status_code == 201, r.text


async def test_a_campaign_keeps_a_seed_beyond_32_bits_and_refuses_one_beyond_64(survey, bus):
    """A seed drawn by crc32 reaches 2**32: it must be stored on every database (an INTEGER
    column refused 2540931313 on PostgreSQL with a 500)."""
    await bus.publish(unit_event("A-m001", "merchant"))
    await archive_drained(bus)
    this_month, _ = shanghai_months()
    for seed in (2540931313, 2**62):
        r = await survey.post(CAMPAIGNS, json={"title": f"seed {seed}", "month": this_month, "sample_size": 1, "seed": seed})
        assert r.status_code == 201, r.text
        assert (await survey.get(f"{CAMPAIGNS}/{r.json()['id']}")).json()["seed"] == seed
    r = await survey.post(CAMPAIGNS, json={"title": "too big", "month": this_month, "sample_size": 1, "seed": 2**64})
    assert r.status_code == 400, r.text
    assert "seed" in r.text


# Five-point answers: 4–5 satisfied, 3 basically satisfied, 1–2 unsatisfied.
THIS_MONTH_ANSWERS = [
    {"cleanliness": 5, "security": 4, "repairs": 2, "staff_attitude": 5, "facilities": 3},
    {"cleanliness": 3, "security": 1, "repairs": 4, "staff_attitude": 4, "facilities": 2},
    {"cleanliness": 4, "security": 5, "repairs": 1, "staff_attitude": 3},
    {"cleanliness": 2, "security": 4, "repairs": 5, "staff_attitude": 5, "facilities": 4},
]
LAST_MONTH_ANSWERS = [{"cleanliness": 2, "repairs": 2}, {"cleanliness": 4, "repairs": 3}]


async def test_campaign_over_500_units_samples_by_stratum_and_computes_the_statistics(survey, bus):
    await register_population(bus)
    this_month, last_month = shanghai_months()
    r = await survey.post(CAMPAIGNS, json={"title": "Q4 survey", "month": this_month, "sample_size": 70, "seed": 7})
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert (campaign["population"], campaign["sample_size"], campaign["status"]) == (500, 70, "open")

    sample = await sample_of(survey, campaign["id"])
    assert Counter((u["building"], u["occupant_kind"]) for u in sample) == EXPECTED_ALLOCATION
    assert all(u["unit"].startswith(f"{u['building']}-{u['occupant_kind'][0]}") for u in sample)

    previous = (await survey.post(CAMPAIGNS, json={"title": "last month", "month": last_month, "sample_size": 10})).json()
    for unit, answers in zip((u["unit"] for u in await sample_of(survey, previous["id"])), LAST_MONTH_ANSWERS):
        await answer(survey, previous["id"], unit, answers)
    for unit, answers in zip((u["unit"] for u in sample), THIS_MONTH_ANSWERS):
        await answer(survey, campaign["id"], unit, answers)

    stats = (await survey.get(f"{CAMPAIGNS}/{campaign['id']}/statistics")).json()
    # 4 of 70 answered; 19 dimension answers, 14 of them satisfied or basically satisfied.
    assert (stats["drawn"], stats["answered"], stats["response_rate"]) == (70, 4, 0.0571)
    assert stats["satisfaction_rate"] == 0.7368
    by_dimension = {r["dimension"]: (r["satisfied"], r["basically_satisfied"], r["unsatisfied"], r["rate"]) for r in stats["by_dimension"]}
    assert by_dimension == {
        "cleanliness": (2, 1, 1, 0.75),  # 5 3 4 2
        "facilities": (1, 1, 1, 0.6667),  # 3 2 4
        "repairs": (2, 0, 2, 0.5),  # 2 4 1 5
        "security": (3, 0, 1, 0.75),  # 4 1 5 4
        "staff_attitude": (3, 1, 0, 1.0),  # 5 4 3 5
    }
    by_department = {r["department"]: (r["answered"], r["rate"]) for r in stats["by_department"]}
    # engineering = repairs + facilities: 3 satisfied + 1 basically of 7 = 4/7.
    assert by_department == {"cleaning": (4, 0.75), "customer_service": (4, 1.0), "engineering": (7, 0.5714), "security": (4, 0.75)}

    plaza = (await survey.get(f"{CAMPAIGNS}/statistics", params={"from": last_month, "to": this_month})).json()
    # Last month: cleanliness 2 and 4, repairs 2 and 3 → 2 of 4 pleased = 0.5.
    assert [(m["month"], m["rate"], m["change"]) for m in plaza["by_month"]] == [
        (last_month, 0.5, None), (this_month, 0.7368, 0.2368)]
    trend = {(r["month"], r["dimension"]): (r["rate"], r["change"]) for r in plaza["by_dimension"]}
    assert trend[(this_month, "cleanliness")] == (0.75, 0.25) and trend[(this_month, "repairs")] == (0.5, 0.0)
    assert trend[(this_month, "security")] == (0.75, None)  # not asked last month: no trend
    departments = {(r["month"], r["department"]): (r["rate"], r["change"]) for r in plaza["by_department"]}
    assert departments[(this_month, "engineering")] == (0.5714, 0.0714)

    book = load_workbook(io.BytesIO((await survey.get(f"{CAMPAIGNS}/{campaign['id']}/statistics",
                                                      params={"format": "xlsx", "lang": "en"})).content))
    rows = list(book["by_dimension"].iter_rows(values_only=True))
    header = rows[0]
    repairs = next(dict(zip(header, row)) for row in rows[1:] if "repairs" in row)
    assert repairs["satisfaction rate"] == 0.5 and repairs["unsatisfied"] == 2
    assert book["by_dimension"]["A2"].number_format != "0.0%" and len(book["by_dimension"]._charts) == 1
    zh = load_workbook(io.BytesIO((await survey.get(f"{CAMPAIGNS}/{campaign['id']}/statistics", params={"format": "xlsx"})).content))
    assert "满意率" in [c.value for c in zh["按维度"][1]] and zh["按维度"].freeze_panes == "A2"
    strata = {(b, k): drawn for b, k, drawn, _ in list(book["strata"].iter_rows(values_only=True))[1:]}
    assert strata == EXPECTED_ALLOCATION

    png = await survey.get(f"{CAMPAIGNS}/statistics/chart", params={"from": last_month, "to": this_month})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = await survey.get(f"{CAMPAIGNS}/{campaign['id']}/statistics/chart", params={"format": "svg"})
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


async def test_responses_are_refused_outside_the_sample_twice_or_after_closing(survey, bus):
    for i in range(6):
        await bus.publish(unit_event(f"A-{i:02d}", "merchant" if i % 2 else "resident"))
    await archive_drained(bus)
    campaign = (await survey.post(CAMPAIGNS, json={"title": "t", "month": "2026-01", "sample_size": 2, "scale": "three_level",
                                                   "dimensions": [{"code": "cleanliness", "label": "c", "department": "cleaning"}]})).json()
    [first, second] = [u["unit"] for u in await sample_of(survey, campaign["id"])]
    outsider = next(f"A-{i:02d}" for i in range(6) if f"A-{i:02d}" not in (first, second))
    url = f"{CAMPAIGNS}/{campaign['id']}/responses"

    assert (await survey.post(url, json={"unit": outsider, "answers": {"cleanliness": "satisfied"}})).json()["field"] == "unit"
    bad_level = await survey.post(url, json={"unit": first, "answers": {"cleanliness": 5}})
    assert bad_level.status_code == 422 and bad_level.json()["field"] == "answers.cleanliness"
    unknown = await survey.post(url, json={"unit": first, "answers": {"parking": "satisfied"}})
    assert unknown.json()["field"] == "answers.parking"
    await answer(survey, campaign["id"], first, {"cleanliness": "basically_satisfied"})
    assert (await survey.post(url, json={"unit": first, "answers": {"cleanliness": "satisfied"}})).status_code == 409

    assert (await survey.post(f"{CAMPAIGNS}/{campaign['id']}/close")).json()["status"] == "closed"
    assert (await survey.post(url, json={"unit": second, "answers": {"cleanliness": "satisfied"}})).status_code == 409
    stats = (await survey.get(f"{CAMPAIGNS}/{campaign['id']}/statistics")).json()
    assert stats["by_dimension"][0]["basically_satisfied"] == 1 and stats["satisfaction_rate"] == 1.0
    bad_month = await survey.post(CAMPAIGNS, json={"title": "t", "month": "2026-13"})
    assert bad_month.status_code == 422 and bad_month.json()["field"] == "month"


async def test_monthly_satisfaction_report_combines_return_visits_and_campaigns(survey, bus):
    this_month, _ = shanghai_months()
    for i in range(4):
        await bus.publish(unit_event(f"K-{i}", "merchant"))
    await archive_drained(bus)
    for wo, unit, dept in (("wo-r1", "K-0", "engineering"), ("wo-r2", "K-1", "engineering"), ("wo-r3", "K-2", "cleaning")):
        await bus.publish(WorkOrderClosed(plaza_id="p1", correlation_id=wo, work_order_id=wo, request_id=wo,
                                          unit=unit, department=dept, paid=False))

    async def three_visits():
        items = (await survey.get("/v1/plazas/p1/visits")).json()["items"]
        return items if len(items) == 3 else None

    visits = {v["work_order_id"]: v for v in await eventually(three_visits, what="three visits")}
    for wo, rating in (("wo-r1", "satisfied"), ("wo-r2", "unsatisfied")):
        await survey.post(f"/v1/plazas/p1/visits/{visits[wo]['id']}/response", json={"rating": rating})

    report = (await survey.get("/v1/plazas/p1/reports/satisfaction", params={"month": this_month})).json()
    rv = report["return_visits"]
    # 3 closes this month, 2 answered: coverage 2/3; engineering 1 of 2 pleased.
    assert (rv["scheduled"], rv["done"], rv["coverage"]) == (3, 2, 0.6667)
    assert [(r["department"], r["answered"], r["rate"]) for r in rv["by_department"]] == [("engineering", 2, 0.5)]
    assert report["campaign_satisfaction_rate"] is None and report["timezone"] == "Asia/Shanghai"

    book = load_workbook(io.BytesIO((await survey.get("/v1/plazas/p1/reports/satisfaction",
                                                      params={"month": this_month, "format": "xlsx"})).content))
    assert list(book["回访率"].iter_rows(values_only=True)) == [("应回访", "已回访", "未回访", "回访率"), (3, 2, 0, 0.6667)]
    assert book["回访率"]["D2"].number_format == "0.0%"
    chart = await survey.get("/v1/plazas/p1/reports/satisfaction/chart", params={"month": this_month, "format": "svg"})
    assert chart.status_code == 200 and b"<svg" in chart.content
    bad = await survey.get("/v1/plazas/p1/reports/satisfaction", params={"month": this_month, "format": "pdf"})
    assert bad.status_code == 400 and bad.json()["field"] == "format"
    bad = await survey.get("/v1/plazas/p1/reports/satisfaction/chart", params={"month": this_month, "format": "gif"})
    assert bad.status_code == 400 and bad.json()["field"] == "format"


async def test_key_account_plan_is_generated_approved_and_tracked_to_completion(survey, bus):
    for unit, key in (("A-1", True), ("B-2", True), ("C-3", True), ("D-4", False)):
        await bus.publish(unit_event(unit, "merchant", key_account=key))
    await archive_drained(bus)

    r = await survey.post(PLANS, json={"month": "2026-12"}, headers=as_actor("clerk-li"))
    assert r.status_code == 201
    plan = r.json()
    # 31 days over 3 visits: the 1st, 11th and 21st.
    assert [(v["unit"], v["planned_on"]) for v in plan["visits"]] == [("A-1", "2026-12-01"), ("B-2", "2026-12-11"), ("C-3", "2026-12-21")]
    assert plan["status"] == "draft" and plan["completion"]["planned"] == 3
    assert (await survey.post(PLANS, json={"month": "2026-12"})).status_code == 409
    url = f"{PLANS}/{plan['id']}"

    early = await survey.post(f"{url}/visits/A-1/outcome", json={"outcome": "completed"})
    assert early.status_code == 409 and early.json()["field"] == "status"  # not approved yet

    own = await survey.post(f"{url}/approve", headers=as_actor("clerk-li"))  # four eyes
    assert own.status_code == 403 and own.json()["detail"].startswith("four eyes: ")
    assert own.json()["field"] == "actor" and (await survey.get(url)).json()["status"] == "draft"
    approved = (await survey.post(f"{url}/approve", headers=as_actor("supervisor-zhang"))).json()
    assert (approved["status"], approved["approved_by"]) == ("approved", "supervisor-zhang")
    assert (await survey.post(f"{url}/approve")).status_code == 409

    first = await survey.post(f"{url}/visits/A-1/outcome", json={"outcome": "completed", "rating": "satisfied", "note": "happy"})
    assert first.status_code == 200
    second = (await survey.post(f"{url}/visits/B-2/outcome", json={"outcome": "not_reached"})).json()
    assert second["completion"] == {"planned": 3, "recorded": 2, "completed": 1, "not_reached": 1,
                                    "declined": 0, "completion_rate": 0.3333}
    assert second["status"] == "approved"
    assert (await survey.post(f"{url}/visits/A-1/outcome", json={"outcome": "declined"})).status_code == 409
    assert (await survey.post(f"{url}/visits/D-4/outcome", json={"outcome": "completed"})).status_code == 404

    done = (await survey.post(f"{url}/visits/C-3/outcome", json={"outcome": "completed"})).json()
    assert done["status"] == "completed" and done["completion"]["completion_rate"] == 0.6667
    assert (await survey.get(url)).json()["completion"]["completed"] == 2
    assert [p["status"] for p in (await survey.get(PLANS, params={"month": "2026-12"})).json()["items"]] == ["completed"]
