"""Rotation, attendance and post records against a real nats-server and database: a plan
that keeps every post staffed and moves everyone, approved by a second person once the
training it needs is passed; clocking in and out and the month's summary; the daily
report made from the other services' events, signed off by a supervisor."""

from __future__ import annotations

import datetime as dt
import io

from libs.contracts.dispatch import WorkOrderClosed
from libs.contracts.intake import CallRecord, RequestReceived
from libs.contracts.survey import VisitCompleted
from staff_fixtures import bearer, person, qualify, staff, staff_settings, wait_for_events  # noqa: F401
from tests.support.harness import eventually

DESK_POSTS = ["front_desk", "customer_specialist", "visits", "cashier", "records"]


async def test_a_rotation_plan_moves_everyone_keeps_every_post_staffed_and_waits_for_training(staff, bus):
    op = await bearer(staff)
    lead = await person(staff, op, "wang.fang", ["supervisor"])
    manager = await person(staff, op, "zhou.min", ["manager"])
    clerks = [f"clerk{i}" for i in range(len(DESK_POSTS))]
    for name, post in zip(clerks, DESK_POSTS):
        await person(staff, op, name, ["clerk"])
        await qualify(staff, lead, [name], post)
        r = await staff.put(f"/v1/plazas/p1/staff/{name}", headers=op, json={"name": name, "roles": ["clerk"], "post": post})
        assert r.status_code == 200, r.text

    r = await staff.post("/v1/plazas/p1/rotation-plans", headers=lead, json={"starts_on": "2027-01-01"})
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["period"] == "2027H1" and plan["status"] == "pending" and plan["unstaffed"] == []
    moves = {m["username"]: m for m in plan["moves"]}
    assert set(moves) == set(clerks)
    assert all(m["to_post"] != m["from_post"] for m in moves.values())  # everyone moves
    assert sorted(m["to_post"] for m in moves.values()) == sorted(DESK_POSTS)  # every post staffed
    # Nobody has the new post's course yet: a session per course is scheduled, approval waits for it.
    assert all(m["training_needed"] == [m["to_post"]] for m in moves.values())
    assert len(plan["training_sessions"]) == len(DESK_POSTS)
    again = await staff.post("/v1/plazas/p1/rotation-plans", headers=lead, json={"starts_on": "2027-03-01"})
    assert again.status_code == 409

    assert (await staff.post(f"/v1/plazas/p1/rotation-plans/{plan['id']}/approve", headers=lead)).status_code == 403
    waiting = await staff.post(f"/v1/plazas/p1/rotation-plans/{plan['id']}/approve", headers=manager)
    assert waiting.status_code == 409 and waiting.json()["field"] == "moves"

    for session_id in plan["training_sessions"]:
        session = (await staff.get(f"/v1/plazas/p1/training/sessions/{session_id}", headers=lead)).json()
        await staff.post(f"/v1/plazas/p1/training/sessions/{session_id}/results", headers=lead, json={
            "results": [{"username": u, "attended": True, "score": 85} for u in session["invited"]]})
    r = await staff.post(f"/v1/plazas/p1/rotation-plans/{plan['id']}/approve", headers=manager,
                         json={"comment": "同意"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "zhou.min"
    for name, m in moves.items():
        assert (await staff.get(f"/v1/plazas/p1/staff/{name}", headers=op)).json()["post"] == m["to_post"]
    history = (await staff.get("/v1/plazas/p1/post-history", params={"username": "clerk0"}, headers=op)).json()["items"]
    assert [h["post"] for h in history] == ["front_desk", moves["clerk0"]["to_post"]]
    assert history[0]["to_at"] is not None and history[1]["source"] == "rotation"
    await wait_for_events(bus, "StaffChanged", len(clerks) * 2)  # assigned, then rotated


async def test_a_clerk_clocks_in_and_out_and_the_month_shows_the_shift(staff):
    op = await bearer(staff)
    li = await person(staff, op, "li.na", ["clerk"])
    await qualify(staff, op, ["li.na"], "front_desk")
    assert (await staff.get("/v1/plazas/p1/attendance/me", headers=li)).json() == {"shift": None, "clocked_in_at": None}
    no_shift = await staff.post("/v1/plazas/p1/attendance/clock-in", json={}, headers=li)
    assert no_shift.status_code == 409

    now = dt.datetime.now(dt.timezone.utc)
    start = now - dt.timedelta(minutes=20)
    shift = (await staff.post("/v1/plazas/p1/shifts", headers=op, json={
        "username": "li.na", "post": "front_desk", "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=8)).isoformat()})).json()
    me = (await staff.get("/v1/plazas/p1/attendance/me", headers=li)).json()
    assert me["shift"]["id"] == shift["id"] and me["clocked_in_at"] is None
    r = await staff.post("/v1/plazas/p1/attendance/clock-in", json={}, headers=li)
    assert r.status_code == 200, r.text
    assert r.json()["minutes_late"] >= 19
    me = (await staff.get("/v1/plazas/p1/attendance/me", headers=li)).json()
    assert me["shift"]["id"] == shift["id"] and me["clocked_in_at"] == r.json()["clocked_in_at"]
    assert (await staff.post("/v1/plazas/p1/attendance/clock-in", json={}, headers=li)).status_code == 409
    assert (await staff.post("/v1/plazas/p1/attendance/clock-out", json={}, headers=li)).status_code == 200
    assert (await staff.post("/v1/plazas/p1/attendance/clock-out", json={}, headers=li)).status_code == 409

    month = start.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    summary = (await staff.get("/v1/plazas/p1/attendance/summary", params={"month": month}, headers=op)).json()
    [line] = summary["shifts"]
    assert line["shift_id"] == shift["id"] and line["clocked_out_at"] and line["absent"] is False
    [who] = summary["people"]
    assert (who["username"], who["shifts"], who["worked"], who["late"]) == ("li.na", 1, 1, 1)
    book = await staff.get("/v1/plazas/p1/attendance/summary", params={"month": month, "format": "xlsx"}, headers=op)
    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(book.content)).worksheets
    assert [c.value for c in sheets[1][2]][:3] == [shift["id"], "li.na", "front_desk"]
    assert (await staff.get("/v1/plazas/p1/attendance/summary", params={"month": "2026-13"}, headers=op)).json()["field"] == "month"
    assert (await staff.get("/v1/plazas/p1/attendance/summary", params={"month": month}, headers=li)).status_code == 403


async def test_the_daily_report_is_made_of_what_the_clerk_did_and_signed_off_by_another(staff, bus):
    op = await bearer(staff)
    lead = await person(staff, op, "wang.fang", ["supervisor"])
    li = await person(staff, op, "li.na", ["clerk"])
    now = dt.datetime.now(dt.timezone.utc)
    call = CallRecord(rang_at=now - dt.timedelta(seconds=8), answered_at=now, greeting=True, read_back=False)
    slow = CallRecord(rang_at=now - dt.timedelta(seconds=20), answered_at=now, greeting=True, read_back=True)
    for request_id, c in (("r1", call), ("r2", slow)):
        await bus.publish(RequestReceived(plaza_id="p1", correlation_id=request_id, actor="li.na", request_id=request_id,
                                          unit="A-203", channel="phone", kind="service", text="漏水",
                                          received_by="li.na", call=c, occurred_at=now))
    await bus.publish(WorkOrderClosed(plaza_id="p1", correlation_id="r1", actor="li.na", work_order_id="w1",
                                      request_id="r1", unit="A-203", department="engineering", kind="service", paid=False))
    await bus.publish(VisitCompleted(plaza_id="p1", correlation_id="r1", actor="li.na", visit_id="v1",
                                     work_order_id="w1", unit="A-203", department="engineering", rating="satisfied"))
    day = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()

    async def report():
        r = (await staff.get(f"/v1/plazas/p1/post-records/li.na/{day}", headers=lead)).json()
        return r if r["calls"] == 2 and r["visits"] == 1 else None

    found = await eventually(report, what="li.na's calls and visit in the daily report")
    assert found["requests"] == 2 and found["review"] is None
    note = await staff.post("/v1/plazas/p1/post-records/notes", headers=li,
                            json={"happened": "A-203 漏水已派工", "pending": "B-101 等回电"})
    assert note.status_code == 201, note.text
    assert (await staff.post(f"/v1/plazas/p1/post-records/li.na/{day}/review", headers=li, json={})).status_code == 403
    r = await staff.post(f"/v1/plazas/p1/post-records/li.na/{day}/review", headers=lead, json={"comment": "记录清楚"})
    assert r.status_code == 200, r.text
    assert r.json()["review"]["comment"] == "记录清楚" and r.json()["notes"][0]["pending"] == "B-101 等回电"
    listed = (await staff.get("/v1/plazas/p1/post-records", params={"day": day}, headers=lead)).json()["items"]
    assert [x["username"] for x in listed] == ["li.na"]

    month = day[:7]
    figures = (await staff.get("/v1/plazas/p1/reports/phone-etiquette", params={"month": month}, headers=lead)).json()
    [clerk] = figures["items"]
    assert (clerk["username"], clerk["calls"], clerk["within_three_rings"], clerk["within_three_rings_pct"]) == (
        "li.na", 2, 1, 50.0)
    assert clerk["average_answer_s"] == 14.0 and clerk["greeting_pct"] == 100.0 and clerk["read_back_pct"] == 50.0
    assert (clerk["visits"], clerk["satisfied"], clerk["satisfaction_pct"]) == (1, 1, 100.0)


async def test_the_half_years_plan_is_drafted_in_the_month_before_it_once(staff_settings, bus):
    from services.staff.app import create_app
    from services.staff.rotation import services as rotation
    from tests.support.harness import register_plazas, served_here

    app = create_app(staff_settings)
    async with served_here(app, "http://staff") as staff:  # this loop's: the use case is called here too
        await register_plazas(bus, "p1", "p2", taken_by="staff")
        op = await bearer(staff)
        for name, post in zip(("clerk0", "clerk1"), ("front_desk", "cashier")):
            await person(staff, op, name, ["clerk"])
            await qualify(staff, op, [name], post)
            await staff.put(f"/v1/plazas/p1/staff/{name}", headers=op, json={"name": name, "roles": ["clerk"], "post": post})
        runtime = app.dependencies["runtime"].dependency()
        assert await rotation.draft_due_plans(runtime.transaction, dt.date(2027, 5, 1)) == []  # two months ahead
        [plan] = await rotation.draft_due_plans(runtime.transaction, dt.date(2027, 6, 5))  # p2: nobody to rotate
        assert (plan.period, plan.drafted_by, plan.status) == ("2027H2", "system", "pending")
        assert {m.username for m in plan.moves} == {"clerk0", "clerk1"}
        assert all(m.to_post != m.from_post for m in plan.moves) and len(plan.unstaffed) == 3  # two people, five posts
        assert await rotation.draft_due_plans(runtime.transaction, dt.date(2027, 6, 6)) == []  # once
        assert (await staff.get("/v1/plazas/p2/rotation-plans", headers=op)).json()["items"] == []
