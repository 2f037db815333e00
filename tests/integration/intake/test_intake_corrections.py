"""Corrections after a request is received, and the clerk's choices at intake, through the
public API against a real nats-server and database: the read model, the history, and the
RequestReceived / RequestReclassified events on the INTAKE stream."""

from __future__ import annotations

import asyncio

from intake_fixtures import intake, intake_settings, served, wait_for_events  # noqa: F401  (fixtures)
from tests.support.harness import bearer, eventually

URL = "/v1/plazas/p1/requests"
CLERK = bearer("clerk-wang", plazas={"p1": ["clerk"]})
SUPERVISOR = bearer("supervisor-li", plazas={"p1": ["supervisor"]})
STREET_LIGHT = "停车场里的路灯不亮 / the street light in the car park is off (路灯)"


async def log(intake, text: str, **extra) -> dict:
    r = await intake.post(URL, headers=CLERK, json={"channel": "phone", "unit": "A-203", "text": text, **extra})
    assert r.status_code == 202, r.text
    return r.json()


async def reclassify(intake, request_id: str, headers=CLERK, **body):
    return await intake.post(f"{URL}/{request_id}/reclassify", headers=headers, json=body)


async def test_a_service_corrected_to_a_major_complaint_and_back_is_published_and_kept_on_its_history(intake, bus):
    request_id = (await log(intake, "电梯停了，有人被困"))["id"]  # at once: the fast way, maybe not on the read model yet
    first = await reclassify(intake, request_id, kind="complaint", severity="major", reason="来电复核：有人受伤")
    assert first.status_code == 200, first.text
    assert first.json()["correction"]["to"] == {"kind": "complaint", "severity": "major", "major": True}
    second = await reclassify(intake, request_id, SUPERVISOR, severity="normal", reason="核实无人受伤")
    assert second.status_code == 200, second.text

    shown = (await intake.get(f"{URL}/{request_id}")).json()
    assert (shown["kind"], shown["severity"], shown["major"], shown["kind_reason"]) == ("complaint", "normal", False, "set by the clerk")
    assert [(c["actor"], c["from"], c["to"], c["reason"]) for c in shown["corrections"]] == [
        ("clerk-wang", {"kind": "service", "severity": None, "major": False},
         {"kind": "complaint", "severity": "major", "major": True}, "来电复核：有人受伤"),
        ("supervisor-li", {"severity": "major", "major": True}, {"severity": "normal", "major": False}, "核实无人受伤"),
    ]
    assert all(c["at"].endswith("Z") for c in shown["corrections"])

    raised, cleared = await wait_for_events(bus, "RequestReclassified", 2, request_id=request_id)
    assert (raised.previous_kind, raised.kind, raised.severity, raised.major, raised.unit) == ("service", "complaint", "major", True, "A-203")
    assert (raised.actor, raised.reason, raised.correlation_id) == ("clerk-wang", "来电复核：有人受伤", request_id)
    assert (cleared.previous_kind, cleared.kind, cleared.major, cleared.actor) == ("complaint", "complaint", False, "supervisor-li")

    async def listed():
        items = (await intake.get(URL, params={"kind": "complaint", "unit": "A-203"})).json()["items"]
        return [i for i in items if i["id"] == request_id]

    [row] = await eventually(listed, what="the corrected request listed as a complaint")
    assert row["severity"] == "normal" and len(row["corrections"]) == 0  # the list leaves the history to GET


async def test_a_referred_street_light_is_taken_on_by_the_plaza(intake, bus):
    referred = await log(intake, STREET_LIGHT, contact={"name": "李明", "phone": "13800138000"})
    assert referred["serviceable"] is False and "12345" in referred["referral"]
    r = await reclassify(intake, referred["id"], serviceable=True, department="engineering", reason="路灯在本广场停车场内")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["serviceable"], r.json()["referral"]) == ("received", True, None)

    [event] = await wait_for_events(bus, "RequestReclassified", 1, request_id=referred["id"])
    assert (event.kind, event.previous_kind, event.serviceable, event.referral, event.department) == (
        "service", "service", True, None, "engineering")
    shown = (await intake.get(f"{URL}/{referred['id']}")).json()
    assert (shown["status"], shown["department"], shown["department_chosen"]) == ("received", "engineering", True)
    # From what intake first made of it: referred, with the department triage proposed.
    assert shown["corrections"][0]["from"] == {"serviceable": False, "referral": referred["referral"],
                                               "department": referred.get("department")}


async def test_a_correction_that_changes_nothing_is_refused_and_emits_nothing(intake, bus):
    request_id = (await log(intake, "门锁坏了", department="engineering", split=False))["id"]
    same = await reclassify(intake, request_id, kind="service", department="engineering", reason="再看一遍")
    assert same.status_code == 422 and same.json()["field"] == "kind, department", same.text
    assert "changes nothing" in same.json()["detail"]
    key = {**CLERK, "Idempotency-Key": "fix-1"}
    real = await reclassify(intake, request_id, key, department="security", reason="门禁归安保部")
    retried = await reclassify(intake, request_id, key, department="security", reason="门禁归安保部")
    assert real.status_code == retried.status_code == 200, (real.text, retried.text)
    assert retried.json() == real.json()  # the first answer, not "changes nothing"
    [event] = await wait_for_events(bus, "RequestReclassified", 1, request_id=request_id)
    assert event.department == "security" and event.reason == "门禁归安保部"
    assert len((await intake.get(f"{URL}/{request_id}")).json()["corrections"]) == 1


async def test_bad_corrections_get_a_problem_naming_the_field(intake):
    request_id = (await log(intake, "门锁坏了"))["id"]
    cases = [
        ({"kind": "complaint"}, 400, "reason"),
        ({"kind": "complaint", "reason": "  "}, 422, "reason"),
        ({"kind": "complaint", "severity": "huge", "reason": "x"}, 400, "severity"),
        ({"severity": "major", "reason": "x"}, 422, "severity"),
        ({"department": "eng.north", "reason": "x"}, 422, "department"),
        ({"kind": "praise", "serviceable": False, "reason": "x"}, 422, "serviceable"),
        ({"colour": "red", "reason": "x"}, 400, "colour"),
    ]
    for body, status, field in cases:
        r = await reclassify(intake, request_id, **body)
        assert (r.status_code, r.json().get("field")) == (status, field), (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    missing = await reclassify(intake, "no-such-request", kind="complaint", reason="x")
    assert missing.status_code == 404 and missing.json()["field"] == "request_id"
    assert (await intake.get(f"{URL}/{request_id}")).json()["corrections"] == []


async def test_only_the_desk_clerk_and_supervisor_correct(intake):
    request_id = (await log(intake, "门锁坏了"))["id"]
    for headers in (bearer("manager-zhao", plazas={"p1": ["manager"]}), bearer("staff-eng", plazas={"p1": ["staff"]}),
                    bearer("finance-qian", plazas={"p1": ["finance"]}),
                    bearer("occupant:p1:A-203:x", plazas={"p1": ["occupant"]}, unit="A-203")):
        r = await reclassify(intake, request_id, headers=headers, kind="complaint", reason="x")
        assert r.status_code == 403, r.text


async def test_a_clerk_chooses_the_department_and_overrules_a_referral_at_intake(intake, bus):
    kept = await log(intake, STREET_LIGHT, serviceable=True, department="engineering", reason="停车场路灯属物业")
    assert (kept["serviceable"], kept["department"], kept.get("referral")) == (True, "engineering", None)
    chosen = await log(intake, "门锁坏了", department="security")
    proposed = await log(intake, "门锁坏了")

    events = {e.request_id: e for e in await wait_for_events(bus, "RequestReceived", 3)}
    assert (events[kept["id"]].serviceable, events[kept["id"]].referral) == (True, None)
    assert (events[kept["id"]].department, events[kept["id"]].department_chosen) == ("engineering", True)
    assert (events[chosen["id"]].department, events[chosen["id"]].department_chosen) == ("security", True)
    assert events[proposed["id"]].department_chosen is False

    shown = (await intake.get(f"{URL}/{kept['id']}")).json()
    assert shown["referral_overruled"]["reason"] == "停车场路灯属物业"
    assert "12345" in shown["referral_overruled"]["referral"]
    assert shown["department_chosen"] is True and shown["referral"] is None


async def test_bad_choices_at_intake_get_a_problem_naming_the_field(intake):
    for extra, status, field in [
        ({"department": "eng north"}, 422, "department"),
        ({"department": "x" * 65}, 422, "department"),
        ({"text": "我要投诉保安态度差", "serviceable": False}, 422, "serviceable"),
        ({"serviceable": "yes"}, 400, "serviceable"),
    ]:
        r = await intake.post(URL, headers=CLERK, json={"channel": "phone", "unit": "A-203", "text": "门锁坏了", **extra})
        assert (r.status_code, r.json().get("field")) == (status, field), (extra, r.text)


DEPARTMENTS = ["security", "cleaning", "engineering", "parking", "customer_service"]


async def test_clerks_correcting_one_request_at_once_each_see_the_one_before(intake_settings, bus):
    """Requests really overlap (``served``): each correction reads what the one before made
    of the request, so the history is one chain (each ``from`` the previous ``to``) and
    none is lost. Several rounds: each is one chance to interleave badly."""
    async with served(intake_settings, bus) as client:
        for round_ in range(3):
            logged = await log(client, f"门锁坏了 {round_}", split=False)
            request_id = logged["id"]
            # Each correction changes the department (to the one it already has would be refused).
            departments = [d for d in DEPARTMENTS if d != logged.get("department")][:4]
            answers = await asyncio.gather(*(
                reclassify(client, request_id, department=d, reason=f"转给 {d}") for d in departments
            ))
            assert [a.status_code for a in answers] == [200] * len(departments), [a.text for a in answers]
            history = (await client.get(f"{URL}/{request_id}")).json()["corrections"]
            chain = [logged.get("department")] + [c["to"]["department"] for c in history]
            assert [c["from"]["department"] for c in history] == chain[:-1]
            assert sorted(chain[1:]) == sorted(departments)
            await wait_for_events(bus, "RequestReclassified", len(departments), request_id=request_id)
