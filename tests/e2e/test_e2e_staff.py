"""The desk's own people through the real system (every service a process, a real
nats-server), as ``make run`` starts them: a trained clerk on shift clocks in, answers a
merchant's call within three rings with the greeting, and the supervisor's month shows it
(100 % within three rings) with the shift on the attendance summary, as JSON and Excel."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import httpx
import pytest

from scripts.system import System
from tests.support.harness import bearer, default_headers, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "e2e-staff"
ZONE = ZoneInfo("Asia/Shanghai")
CLERK = bearer("li.na", plazas={PLAZA: ["clerk"]}, name="李娜")
SUPERVISOR = bearer("wang.fang", plazas={PLAZA: ["supervisor"]}, name="王芳")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    s = System(tmp_path_factory.mktemp("system"), default_ports=False, env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()})
    try:
        # Seven services starting at once on a shared two-core machine can take over a minute.
        yield s.start(timeout=180)
    finally:
        s.stop()


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers()) for name in system.ports}
    archive, intake, staff = clients["archive"], clients["intake"], clients["staff"]
    assert archive.put(f"/v1/plazas/{PLAZA}", json={"name": "E2E Staff", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    r = archive.put(f"/v1/plazas/{PLAZA}/units/A-203", json={
        "area_m2": 86.5, "use": "shop", "occupant": {"name": "Li Ming", "kind": "merchant", "phone": "13800138000"},
        "key_account": False})
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: intake.post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "phone", "unit": "A-203", "text": " "})
             .json().get("field") == "text", "intake to learn unit A-203")
    for username, roles in (("li.na", ["clerk"]), ("wang.fang", ["supervisor"])):
        body = {"name": username, "roles": roles}
        wait_for(lambda: staff.put(f"/v1/plazas/{PLAZA}/staff/{username}", json=body).status_code == 200,
                 f"staff to take on {username}")
    yield clients
    for c in clients.values():
        c.close()


def test_a_clerk_on_shift_answers_within_three_rings_and_the_supervisor_sees_it(api):
    staff, intake = api["staff"], api["intake"]
    # 上岗前须培训合格: the induction and the front desk's procedures, passed.
    for course in ("induction", "front_desk"):
        session = staff.post(f"/v1/plazas/{PLAZA}/training/sessions", headers=SUPERVISOR,
                             json={"course": course, "starts_at": "2026-01-05T01:00:00Z", "invited": ["li.na"]})
        assert session.status_code == 201, session.text
        r = staff.post(f"/v1/plazas/{PLAZA}/training/sessions/{session.json()['id']}/results", headers=SUPERVISOR,
                       json={"results": [{"username": "li.na", "attended": True, "score": 92}]})
        assert r.status_code == 200, r.text
    now = dt.datetime.now(dt.timezone.utc)
    shift = staff.post(f"/v1/plazas/{PLAZA}/shifts", headers=SUPERVISOR, json={
        "username": "li.na", "post": "front_desk", "starts_at": (now - dt.timedelta(minutes=2)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=8)).isoformat()})
    assert shift.status_code == 201, shift.text
    shift_id = shift.json()["id"]

    clocked = staff.post(f"/v1/plazas/{PLAZA}/attendance/clock-in", json={}, headers=CLERK)
    assert clocked.status_code == 200, clocked.text
    me = staff.get(f"/v1/plazas/{PLAZA}/attendance/me", headers=CLERK).json()
    assert me["shift"]["id"] == shift_id and me["clocked_in_at"] == clocked.json()["clocked_in_at"]

    answered = dt.datetime.now(dt.timezone.utc)
    call = {"rang_at": (answered - dt.timedelta(seconds=8)).isoformat(), "answered_at": answered.isoformat(),
            "greeting": True, "read_back": True}
    r = intake.post(f"/v1/plazas/{PLAZA}/requests", headers=CLERK,
                    json={"channel": "phone", "unit": "A-203", "text": "A-203 下水道堵了", "call": call})
    assert r.status_code == 202, r.text
    shown = intake.get(f"/v1/plazas/{PLAZA}/requests/{r.json()['id']}", headers=CLERK).json()
    assert shown["received_by"] == "li.na" and shown["call"]["greeting"] is True

    month = answered.astimezone(ZONE).strftime("%Y-%m")

    def clerk_figures():
        items = staff.get(f"/v1/plazas/{PLAZA}/reports/phone-etiquette", params={"month": month},
                          headers=SUPERVISOR).json()["items"]
        return next((i for i in items if i["username"] == "li.na"), None)

    figures = wait_for(clerk_figures, "the clerk's call on the supervisor's phone etiquette report")
    assert figures["calls"] == 1 and figures["within_three_rings_pct"] == 100.0
    assert figures["average_answer_s"] == 8.0 and figures["greeting_pct"] == 100.0

    summary = staff.get(f"/v1/plazas/{PLAZA}/attendance/summary", params={"month": month}, headers=SUPERVISOR).json()
    [line] = [s for s in summary["shifts"] if s["shift_id"] == shift_id]
    assert line["username"] == "li.na" and line["clocked_in_at"] == clocked.json()["clocked_in_at"]
    assert [p for p in summary["people"] if p["username"] == "li.na"][0]["worked"] == 1
    book = staff.get(f"/v1/plazas/{PLAZA}/attendance/summary", params={"month": month, "format": "xlsx"},
                     headers=SUPERVISOR)
    assert book.status_code == 200 and book.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from openpyxl import load_workbook

    shifts = load_workbook(io.BytesIO(book.content)).worksheets[1]
    rows = [[c.value for c in row] for row in shifts.iter_rows(min_row=2)]
    assert [shift_id, "li.na", "front_desk"] in [r[:3] for r in rows]
