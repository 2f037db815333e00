"""Posts, training, the roster and swaps against a real nats-server and database: nobody
works a post or a shift before passing its training; a swap takes effect only once a
second person approves it; every change of a shift is announced."""

from __future__ import annotations

import datetime as dt

from staff_fixtures import bearer, person, qualify, staff, staff_settings, wait_for_events  # noqa: F401

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _shift(username: str, post: str = "front_desk", start_h: float = 24, hours: float = 8) -> dict:
    start = NOW + dt.timedelta(hours=start_h)
    return {"username": username, "post": post, "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=hours)).isoformat()}


async def test_an_untrained_person_is_refused_the_post_and_the_shift_naming_the_training(staff):
    op = await bearer(staff)
    await person(staff, op, "li.na", ["clerk"])
    r = await staff.put("/v1/plazas/p1/staff/li.na", headers=op,
                        json={"name": "Li.Na", "roles": ["clerk"], "post": "front_desk"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["field"] == "post" and problem["missing_training"] == ["induction", "front_desk"]
    assert "induction" in problem["detail"]
    r = await staff.post("/v1/plazas/p1/shifts", headers=op, json=_shift("li.na"))
    assert r.status_code == 422 and r.json()["missing_training"] == ["induction", "front_desk"]

    # Half the training is not enough; a failed score neither.
    session = (await staff.post("/v1/plazas/p1/training/sessions", headers=op, json={
        "course": "induction", "starts_at": "2026-01-05T01:00:00Z"})).json()
    assert session["pass_mark"] == 80
    await staff.post(f"/v1/plazas/p1/training/sessions/{session['id']}/results", headers=op,
                     json={"results": [{"username": "li.na", "attended": True, "score": 70}]})
    r = await staff.post("/v1/plazas/p1/shifts", headers=op, json=_shift("li.na"))
    assert r.json()["missing_training"] == ["induction", "front_desk"]

    await qualify(staff, op, ["li.na"], "front_desk")
    quals = (await staff.get("/v1/plazas/p1/qualifications/li.na", headers=op)).json()
    assert {q["post"]: q["qualified"] for q in quals["posts"]}["front_desk"] is True
    r = await staff.put("/v1/plazas/p1/staff/li.na", headers=op,
                        json={"name": "Li.Na", "roles": ["clerk"], "post": "front_desk"})
    assert r.status_code == 200 and r.json()["post"] == "front_desk"
    r = await staff.post("/v1/plazas/p1/shifts", headers=op, json=_shift("li.na"))
    assert r.status_code == 201, r.text
    history = (await staff.get("/v1/plazas/p1/post-history", headers=op)).json()["items"]
    assert [(h["username"], h["post"], h["source"]) for h in history] == [("li.na", "front_desk", "assignment")]


async def test_a_department_post_outside_the_catalogue_needs_no_desk_training(staff):
    op = await bearer(staff)
    r = await staff.put("/v1/plazas/p1/staff/zhang.wei", headers=op, json={
        "name": "张伟", "roles": ["staff"], "department": "engineering", "post": "维修工"})
    assert r.status_code == 200, r.text


async def test_a_swap_takes_effect_only_when_a_second_person_approves(staff, bus):
    op = await bearer(staff)
    lead = await person(staff, op, "wang.fang", ["supervisor"])
    li = await person(staff, op, "li.na", ["clerk"])
    zhao = await person(staff, op, "zhao.lei", ["clerk"])
    await person(staff, op, "sun.li", ["clerk"])
    await qualify(staff, lead, ["li.na", "zhao.lei"], "front_desk")
    shift = (await staff.post("/v1/plazas/p1/shifts", headers=lead, json=_shift("li.na"))).json()
    not_theirs = await staff.post(f"/v1/plazas/p1/shifts/{shift['id']}/swaps", headers=zhao, json={"to": "zhao.lei"})
    assert not_theirs.status_code == 403 and not_theirs.json()["field"] == "shift_id"
    [planned] = await wait_for_events(bus, "ShiftPlanned", 1, shift_id=shift["id"])
    assert (planned.username, planned.post, planned.plaza_id) == ("li.na", "front_desk", "p1")

    untrained = await staff.post(f"/v1/plazas/p1/shifts/{shift['id']}/swaps", headers=li, json={"to": "sun.li"})
    assert untrained.status_code == 422 and untrained.json()["field"] == "to"
    swap = (await staff.post(f"/v1/plazas/p1/shifts/{shift['id']}/swaps", headers=li,
                             json={"to": "zhao.lei", "reason": "家里有事"})).json()
    assert swap["status"] == "pending"
    roster = (await staff.get("/v1/plazas/p1/roster", params={"week": _week(NOW + dt.timedelta(hours=24))},
                              headers=lead)).json()
    assert [(s["id"], s["username"]) for s in roster["shifts"]] == [(shift["id"], "li.na")]  # not yet

    assert (await staff.post(f"/v1/plazas/p1/swaps/{swap['id']}/approve", headers=li)).status_code == 403
    r = await staff.post(f"/v1/plazas/p1/swaps/{swap['id']}/approve", headers=lead)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_by"] == "wang.fang"
    [_, swapped] = await wait_for_events(bus, "ShiftPlanned", 2, shift_id=shift["id"])
    assert swapped.username == "zhao.lei" and swapped.starts_at == planned.starts_at
    assert (await staff.post(f"/v1/plazas/p1/swaps/{swap['id']}/approve", headers=lead)).status_code == 409

    r = await staff.delete(f"/v1/plazas/p1/shifts/{shift['id']}", headers=lead)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    [cancelled] = await wait_for_events(bus, "ShiftCancelled", 1, shift_id=shift["id"])
    assert cancelled.username == "zhao.lei"


async def test_a_supervisor_cannot_approve_a_swap_they_asked_for(staff):
    op = await bearer(staff)
    lead = await person(staff, op, "wang.fang", ["supervisor"])
    await person(staff, op, "li.na", ["clerk"])
    await person(staff, op, "zhao.lei", ["clerk"])
    await qualify(staff, lead, ["li.na", "zhao.lei"], "front_desk")
    shift = (await staff.post("/v1/plazas/p1/shifts", headers=lead, json=_shift("li.na"))).json()
    swap = (await staff.post(f"/v1/plazas/p1/shifts/{shift['id']}/swaps", headers=lead, json={"to": "zhao.lei"})).json()
    r = await staff.post(f"/v1/plazas/p1/swaps/{swap['id']}/approve", headers=lead)
    assert r.status_code == 403 and r.json()["field"] == "actor"


async def test_the_roster_says_which_opening_hours_nobody_covers(staff):
    op = await bearer(staff)
    await person(staff, op, "li.na", ["clerk"])
    await qualify(staff, op, ["li.na"], "front_desk")
    r = await staff.put("/v1/plazas/p1/roster/opening-hours", headers=op,
                        json={"hours": {"mon": [["08:00", "20:00"]]}, "posts": ["front_desk"]})
    assert r.status_code == 200
    # Monday 2026-12-07 in Asia/Shanghai (the default zone): 08:00-16:00 local is 00:00-08:00 UTC.
    await staff.post("/v1/plazas/p1/shifts", headers=op, json={
        "username": "li.na", "post": "front_desk", "starts_at": "2026-12-07T00:00:00Z", "ends_at": "2026-12-07T08:00:00Z"})
    roster = (await staff.get("/v1/plazas/p1/roster", params={"week": "2026-W50"}, headers=op)).json()
    assert roster["starts_on"] == "2026-12-07" and len(roster["shifts"]) == 1
    assert roster["uncovered"] == [{"starts_at": "2026-12-07T08:00:00Z", "ends_at": "2026-12-07T12:00:00Z"}]
    bad = await staff.put("/v1/plazas/p1/roster/opening-hours", headers=op, json={"hours": {"mon": [["20:00", "08:00"]]}})
    assert bad.status_code == 422 and bad.json()["field"] == "hours.mon"


def _week(at: dt.datetime) -> str:
    year, week, _ = at.astimezone(dt.timezone(dt.timedelta(hours=8))).isocalendar()
    return f"{year}-W{week:02d}"
