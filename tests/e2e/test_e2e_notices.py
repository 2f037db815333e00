"""Speaking to merchants, through the public HTTP APIs of the real system (every service a
process, a real nats-server): a notice to the units on floor 3 in arrears over 30 days
reaches exactly the units billing says are, one reads it by its link, the desk sees who
has not, and each unit's timeline in archive shows the notice delivered (and read); a
month's public-share costs are charged once and disclosed with their table."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import httpx
import pytest

from scripts.system import System
from tests.support.documents import pdf_text, xlsx_rows
from tests.support.harness import as_actor, default_headers, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "e2e-notices"
FLOORS = {"A-301": "3", "A-302": "3", "A-303": "3", "A-201": "2"}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    s = System(tmp_path_factory.mktemp("system"), default_ports=False, env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()})
    try:
        # Seven services starting at once on a busy two-core machine: a ceiling, not a wait.
        yield s.start(timeout=240)
    finally:
        s.stop()


def months_ago(n: int) -> str:
    today = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    for _ in range(n):
        today = (today - dt.timedelta(days=1)).replace(day=1)
    return today.strftime("%Y-%m")


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers())
               for name in system.ports}
    archive = clients["archive"]
    assert archive.put(f"/v1/plazas/{PLAZA}", json={"name": "通知广场", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    for unit, floor in FLOORS.items():
        body = {"area_m2": 50.0, "use": "shop", "floor": floor, "building": "A", "key_account": False,
                "occupant": {"name": f"{unit} 商户", "kind": "merchant", "phone": "13800138000"}}
        if unit == "A-303":  # moved in this month: no fee for the month invoiced below
            body["occupancy_date"] = dt.date.today().replace(day=1).isoformat()
        r = archive.put(f"/v1/plazas/{PLAZA}/units/{unit}", json=body)
        assert r.status_code in (200, 201), r.text
    for name, path in (("billing", "accounts"), ("notices", "notices")):
        wait_for(lambda: clients[name].get(f"/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{name} to learn the plaza")
    wait_for(lambda: clients["billing"].get(f"/v1/plazas/{PLAZA}/accounts/A-303").status_code == 200,
             "billing to learn the units")
    yield clients
    for c in clients.values():
        c.close()


def test_a_notice_to_floor_3_in_arrears_over_30_days_is_read_through_its_link(api):
    billing, notices, archive = api["billing"], api["notices"], api["archive"]
    assert billing.put(f"/v1/plazas/{PLAZA}/fee-rates", json={"shop": 1000, "office": 800, "residence": 300,
                                                              "due_days": 15}).status_code == 200
    r = billing.post(f"/v1/plazas/{PLAZA}/fee-runs", json={"period": months_ago(2)})
    assert r.status_code == 201, r.text
    assert r.json()["invoiced"] == 3  # A-303 moved in later
    r = billing.post(f"/v1/plazas/{PLAZA}/accounts/A-302/payments", json={"amount_fen": 50000, "method": "cash"},
                     headers={"Idempotency-Key": "a302-fee"})
    assert r.status_code in (200, 201), r.text

    # What billing says: the units owing something more than 30 days past due.
    arrears = billing.get(f"/v1/plazas/{PLAZA}/arrears").json()
    today = dt.date.fromisoformat(arrears["as_of"])
    overdue = {u["unit"] for u in arrears["units"]
               if u["oldest_due_date"] and (today - dt.date.fromisoformat(u["oldest_due_date"])).days > 30}
    expected = sorted(u for u in overdue if FLOORS[u] == "3")
    assert expected == ["A-301"] and "A-201" in overdue

    def drafted():
        r = notices.post(f"/v1/plazas/{PLAZA}/notices", headers=as_actor("clerk-wang"), json={
            "title": "缴费通知", "urgent": True, "channels": ["sms"],
            "body": "{merchant}（{unit}）您好：贵铺物业费已逾期 30 天以上，请于 {due_date} 前缴纳。",
            "values": {"due_date": "2026-12-31"}, "audience": {"floors": ["3"], "arrears_over_days": 30}})
        assert r.status_code == 201, r.text
        return r.json()

    # Notices learns the invoices and the payment from billing's events: the approver's
    # preview of the audience becomes billing's count once they are in.
    notice = drafted()
    assert notices.post(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/submit", headers=as_actor("clerk-wang")).status_code == 200
    r = notices.post(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/approve", headers=as_actor("clerk-wang"))
    assert r.status_code == 403  # four eyes

    def audience():
        items = notices.get(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/audience").json()["items"]
        return [u["unit"] for u in items] == expected
    wait_for(audience, "notices to take billing's invoices and payment")
    r = notices.post(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/approve", headers=as_actor("supervisor-li"))
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["recipients"] == len(expected)

    recipients = notices.get(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/recipients").json()["items"]
    assert [r["unit"] for r in recipients] == expected
    r = httpx.get(f"{notices.base_url}/v1/plazas/{PLAZA}/notice-links/{recipients[0]['link']}")
    assert r.status_code == 200, r.text
    assert "A-301 商户（A-301）" in r.json()["body"]
    unread = notices.get(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/recipients", params={"read": "false"}).json()
    assert unread["items"] == []

    def on_timeline():
        items = archive.get(f"/v1/plazas/{PLAZA}/units/A-301/timeline", params={"limit": 500}).json()["items"]
        types = {i["type"] for i in items}
        return {"NoticeDelivered", "NoticeRead"} <= types
    wait_for(on_timeline, "A-301's timeline to show the notice delivered and read")
    mine = notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices").json()["items"]
    assert mine[0]["title"] == "缴费通知" and mine[0]["read_at"]


def test_the_public_share_of_a_month_is_charged_once_and_disclosed_with_its_table(api):
    billing, notices = api["billing"], api["notices"]
    period = months_ago(1)
    share = f"/v1/plazas/{PLAZA}/public-share/{period}"
    finance = as_actor("finance-zhou")
    r = billing.post(f"{share}/costs", headers=finance, json={
        "category": "公共区域电费", "amount_fen": 1001, "documents": ["doc-electricity-bill"], "description": "走廊与电梯"})
    assert r.status_code == 201, r.text
    first = billing.post(f"{share}/run", json={"rule": "area"}, headers=finance)
    again = billing.post(f"{share}/run", json={"rule": "area"}, headers=finance)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    # 1001 fen over four units of 50 m²: 250.25 each; the one fen left goes, all remainders
    # being equal, to the first unit id.
    shares = {u["unit"]: u["share_fen"] for u in first.json()["units"]}
    assert shares == {"A-201": 251, "A-301": 250, "A-302": 250, "A-303": 250} and sum(shares.values()) == 1001
    for unit, fen in shares.items():
        entries = billing.get(f"/v1/plazas/{PLAZA}/accounts/{unit}").json()["entries"]
        assert [e["amount_fen"] for e in entries if e["kind"] == "fee" and e["amount_fen"] == fen] == [fen]

    def disclosure():
        items = notices.get(f"/v1/plazas/{PLAZA}/notices", params={"kind": "disclosure"}).json()["items"]
        return items[0] if items else None
    notice = wait_for(disclosure, "the disclosure notice")
    assert notice["status"] == "pending" and notice["title"] == f"{period} 公摊费用公示"
    r = notices.post(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/approve", headers=as_actor("supervisor-li"))
    assert r.status_code == 200 and r.json()["recipients"] == len(FLOORS)

    rows = xlsx_rows(notices.get(f"/v1/plazas/{PLAZA}/notices/{notice['id']}/attachment.xlsx").content)
    assert rows[0] == ["单元", "面积（㎡）", "分摊（元）"]
    assert rows[1:] == [["A-201", "50.00", "2.51"], ["A-301", "50.00", "2.50"], ["A-302", "50.00", "2.50"],
                        ["A-303", "50.00", "2.50"], ["合计", "200.00", "10.01"]]
    text = pdf_text(notices.get(f"/v1/plazas/{PLAZA}/units/A-302/notices/{notice['id']}/letter.pdf").content)
    assert f"{period}公摊费用分摊明细" in text and "公共区域电费10.01元" in text and "合计200.0010.01" in text


def test_an_activity_of_capacity_2_refuses_the_third_sign_up(api):
    notices = api["notices"]
    now = dt.datetime.now(dt.timezone.utc)
    r = notices.post(f"/v1/plazas/{PLAZA}/activities", headers=as_actor("clerk-wang"), json={
        "title": "亲子手工课", "kind": "community", "description": "周末亲子手工", "place": "三楼活动室",
        "starts_at": (now + dt.timedelta(days=2)).isoformat(), "ends_at": (now + dt.timedelta(days=2, hours=2)).isoformat(),
        "capacity": 2})
    assert r.status_code == 201, r.text
    activity = r.json()
    r = notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/publish", headers=as_actor("clerk-wang"), json={})
    assert r.status_code == 200, r.text
    signups = f"/v1/plazas/{PLAZA}/activities/{activity['id']}/signups"
    assert [notices.post(signups, json={"unit": unit}).status_code for unit in ("A-301", "A-302", "A-303")] == [
        201, 201, 409]
    assert [s["unit"] for s in notices.get(signups).json()["items"]] == ["A-301", "A-302"]
    # Its notice goes out once a lead approves it.
    notice_id = r.json()["notice_id"]
    r = notices.post(f"/v1/plazas/{PLAZA}/notices/{notice_id}/approve", headers=as_actor("supervisor-li"))
    assert r.status_code == 200 and r.json()["recipients"] == len(FLOORS)
