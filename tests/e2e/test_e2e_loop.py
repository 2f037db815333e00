"""The product flow through the public HTTP APIs of all five services, run as real
processes with a real nats-server, exactly as ``make run`` starts them."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.harness import Bus, default_headers, eventually, jwks_file, token, wait_for
from scripts.system import System

pytestmark = pytest.mark.e2e
PLAZA = "e2e-plaza"
PHONE = "13800138000"  # an occupant's phone: it must never reach a log


async def consumers_caught_up(nats_url: str, consumers: list[tuple[str, str]]) -> None:
    async with Bus(nats_url) as bus:
        for stream, durable in consumers:
            await eventually(lambda: bus.caught_up(stream, durable), timeout=30, what=f"{durable} to catch up")


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    # The services verify tokens with the test run's key, as they would the staff service's.
    with System(tmp_path_factory.mktemp("system"), default_ports=False,
                env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()}) as s:
        yield s


def hire(system, staff: httpx.Client, username: str, name: str, department: str) -> None:
    """A person of ``department`` at the plaza, taken on through the staff service as the
    operator (who logs in first); returns once dispatch's copy of staff has them, so they
    may be assigned."""
    r = staff.post("/v1/token", json={"username": "operator", "password": system.operator_password()})
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    body = {"name": name, "roles": ["staff"], "department": department}
    # Staff answers 404 for the plaza until archive's PlazaRegistered reaches it.
    wait_for(lambda: staff.put(f"/v1/plazas/{PLAZA}/staff/{username}", json=body, headers=bearer).status_code in (200, 201),
             f"staff to take on {username}")
    asyncio.run(consumers_caught_up(system.nats_url, [("STAFF", "dispatch-staff")]))


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers()) for name in system.ports}
    archive, intake = clients["archive"], clients["intake"]
    assert archive.put(f"/v1/plazas/{PLAZA}", json={"name": "E2E Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    for unit in ("A-203", "B-110", "C-501"):
        r = archive.put(
            f"/v1/plazas/{PLAZA}/units/{unit}",
            json={"area_m2": 86.5, "use": "shop", "occupant": {"name": "Li Ming", "kind": "merchant", "phone": PHONE}, "key_account": False},
        )
        assert r.status_code in (200, 201), r.text
        # An empty text is refused only once the unit is known: a probe with no side effect.
        wait_for(
            lambda: intake.post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "phone", "unit": unit, "text": " "}).json().get("field") == "text",
            f"intake to learn unit {unit}",
        )
    for name, path in (("dispatch", "work-orders"), ("billing", "accounts"), ("survey", "visits")):
        # Each service answers 404 for a plaza until archive's PlazaRegistered reaches it.
        wait_for(lambda: clients[name].get(f"/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{name} to learn the plaza")
    # Work orders go only to engineering's staff at the plaza.
    hire(system, clients["staff"], "eng-zhao", "赵工 Zhao", "engineering")
    hire(system, clients["staff"], "eng-qian", "钱工 Qian", "engineering")
    yield clients
    for c in clients.values():
        c.close()


def work_order_for(api, request_id):
    items = api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id}).json()["items"]
    return items[0] if items else None


def visits_for(api, work_order_id):
    return api["survey"].get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": work_order_id}).json()["items"]


def account(api, unit):
    r = api["billing"].get(f"/v1/plazas/{PLAZA}/accounts/{unit}")
    return r.json() if r.status_code == 200 else None


def timeline_types(api, unit):
    items = api["archive"].get(f"/v1/plazas/{PLAZA}/units/{unit}/timeline", params={"limit": 500}).json()["items"]
    return [i["type"] for i in items]


def do(api, wo_id, action, body=None):
    r = api["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{wo_id}/{action}", json=body or {})
    assert r.status_code in (200, 201), f"{action}: {r.status_code} {r.text}"
    return r.json()


def test_the_closed_work_order_loop(api):
    # 1. a merchant calls: the drain in A-203 is blocked
    r = api["intake"].post(
        f"/v1/plazas/{PLAZA}/requests",
        json={"channel": "phone", "unit": "A-203", "text": "the drain in shop A-203 is blocked", "contact": {"name": "Li Ming", "phone": PHONE}},
        headers={"Idempotency-Key": "call-0001"},
    )
    assert r.status_code == 202, r.text
    request = r.json()
    assert request["kind"] == "service" and request["serviceable"] is True

    # 2. dispatch opened a work order routed to engineering
    wo = wait_for(lambda: work_order_for(api, request["id"]), "work order")
    assert wo["department"] == "engineering" and wo["status"] == "created" and wo["reopen_count"] == 0

    # 3. engineering does the job, customer service closes it
    do(api, wo["id"], "assign", {"assignee": "eng-zhao"})
    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": True, "labour_fen": 5000, "materials": [{"name": "PVC elbow", "quantity": 2, "unit_price_fen": 1200}]})
    closed = do(api, wo["id"], "close")
    assert closed["status"] == "closed"

    # 4. return visit scheduled, charge posted once, everything on A-203's timeline
    visit = wait_for(lambda: visits_for(api, wo["id"]), "return visit")[0]
    assert visit["status"] == "pending"
    acct = wait_for(lambda: (a := account(api, "A-203")) and a["owed_fen"] == 7400 and a, "charge of 74.00 CNY")
    assert sorted(e["amount_fen"] for e in acct["entries"]) == [2400, 5000]
    assert all(e["work_order_id"] == wo["id"] for e in acct["entries"])
    wait_for(
        lambda: {"RequestReceived", "WorkOrderCreated", "WorkOrderClosed", "VisitScheduled", "ChargePosted"} <= set(timeline_types(api, "A-203")),
        "the timeline of A-203", timeout=5,
    )

    # 5. unsatisfied → second dispatch
    r = api["survey"].post(f"/v1/plazas/{PLAZA}/visits/{visit['id']}/response", json={"rating": "unsatisfied", "comment": "still draining slowly"})
    assert r.status_code == 200, r.text
    reopened = wait_for(
        lambda: (w := work_order_for(api, request["id"])) and w["reopen_count"] == 1 and w, "second dispatch", timeout=5
    )
    assert reopened["status"] == "assigned"

    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": False, "labour_fen": 0, "materials": []})
    do(api, wo["id"], "close")
    wait_for(lambda: len(visits_for(api, wo["id"])) == 2, "a second return visit")
    wait_for(lambda: "WorkOrderReopened" in timeline_types(api, "A-203"), "reopening on the timeline")
    assert account(api, "A-203")["owed_fen"] == 7400  # the same lines are never charged twice
    assert len(account(api, "A-203")["entries"]) == 2

    # the repeated phone call with the same Idempotency-Key created nothing new
    again = api["intake"].post(
        f"/v1/plazas/{PLAZA}/requests",
        json={"channel": "phone", "unit": "A-203", "text": "the drain in shop A-203 is blocked", "contact": {"name": "Li Ming", "phone": PHONE}},
        headers={"Idempotency-Key": "call-0001"},
    )
    assert again.json()["id"] == request["id"]

    # the merchant pays, the payment retried after a timeout is recorded once
    for _ in range(2):
        r = api["billing"].post(
            f"/v1/plazas/{PLAZA}/accounts/A-203/payments",
            json={"amount_fen": 7400, "method": "wechat", "reference": "wx-778"},
            headers={"Idempotency-Key": "pay-778"},
        )
        assert r.status_code in (200, 201), r.text
    assert account(api, "A-203")["owed_fen"] == 0


def test_sigkill_in_the_middle_of_the_loop_loses_nothing(system, api):
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "visit", "unit": "B-110", "text": "ceiling light broken"})
    request_id = r.json()["id"]
    wo = wait_for(lambda: work_order_for(api, request_id), "work order")
    do(api, wo["id"], "assign", {"assignee": "eng-qian"})
    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": True, "labour_fen": 3000, "materials": []})

    system.kill("billing")
    system.kill("survey")
    do(api, wo["id"], "close")  # the close is accepted while both consumers are dead
    system.kill("dispatch")  # and dispatch dies right after, its relay perhaps mid-flight
    system.restart("dispatch")
    system.restart("billing")
    system.restart("survey")

    wait_for(lambda: visits_for(api, wo["id"]), "the visit after the restart")
    wait_for(lambda: (a := account(api, "B-110")) and a["owed_fen"] == 3000, "the charge after the restart")
    # A duplicate would come from a redelivery: count once every consumer of the close has
    # acknowledged everything it takes.
    asyncio.run(consumers_caught_up(system.nats_url, [("DISPATCH", "billing-work-order-closed"), ("DISPATCH", "survey-work-order-closed")]))
    assert len(visits_for(api, wo["id"])) == 1
    assert len(account(api, "B-110")["entries"]) == 1
    assert work_order_for(api, request_id)["status"] == "closed"


def test_bad_input_names_the_problem(api):
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "telegram", "unit": "A-203", "text": "x"})
    assert r.status_code == 400 and r.json()["field"] == "channel"
    r = api["intake"].post(f"/v1/plazas/no-such-plaza/requests", json={"channel": "phone", "unit": "A-203", "text": "x"})
    assert r.status_code == 404 and "no-such-plaza" in r.json()["detail"]
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "phone", "unit": "Z-9", "text": "x"})
    assert r.status_code == 422 and r.json()["field"] == "unit"
    r = api["archive"].put(f"/v1/plazas/{PLAZA}/units/D-1", json={"area_m2": "big", "use": "shop", "occupant": {"name": "x", "kind": "merchant"}, "key_account": False})
    assert r.status_code == 400 and r.json()["field"] == "area_m2"
    r = api["survey"].post(f"/v1/plazas/{PLAZA}/visits/nope/response", json={"rating": "great"})
    assert r.status_code in (400, 404)


def test_the_logs_hold_no_token_and_no_phone_number(system, api):
    """Every line every process of the run wrote: no token, no phone number, whatever was
    asked (including calls refused for a bad token and a body with a phone in it)."""
    bad = {"Authorization": f"Bearer {token('intruder', expires_in=-600)}"}
    assert api["intake"].get(f"/v1/plazas/{PLAZA}/requests", headers=bad).status_code == 401
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "fax", "contact": {"phone": "13912345678"}})
    assert r.status_code == 400
    used = [api["intake"].headers["Authorization"].split()[1], bad["Authorization"].split()[1]]
    texts = {path.name: path.read_text(errors="replace") for path in system.logs.glob("*.log")}
    assert any(name.startswith("intake") for name in texts), sorted(texts)
    for name, text in texts.items():
        for secret in [*used, PHONE, "13912345678"]:
            assert secret not in text, f"{name} holds {secret[:12]}…"
        assert "Bearer ey" not in text, name


def test_a_catalogue_service_ordered_done_and_closed_is_charged_once_at_its_price(system, api):
    """多种经营: finance lists air-conditioner cleaning at 120 yuan a unit; a merchant orders
    two at the desk; engineering does it; closed, reopened and closed again, it is charged
    once at the list price, and it is in the month's service revenue."""
    item = {"name_zh": "空调清洗", "name_en": "Air-conditioner cleaning", "department": "engineering",
            "pricing": "per_unit", "price_fen": 12000, "unit_name": "台", "tax_rate_bp": 600, "active_from": "2026-01-01"}
    assert api["billing"].put(f"/v1/plazas/{PLAZA}/catalogue/AC-CLEAN", json=item).status_code == 200
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", headers={"Idempotency-Key": "order-ac-1"}, json={
        "channel": "phone", "unit": "C-501", "text": "请安排清洗空调两台", "kind": "service", "department": "engineering",
        "catalogue_item": {"code": "AC-CLEAN", "quantity": 2}})
    assert r.status_code == 202, r.text
    wo = wait_for(lambda: work_order_for(api, r.json()["id"]), "work order")
    do(api, wo["id"], "assign", {"assignee": "eng-qian"})
    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": False})
    do(api, wo["id"], "close")
    acct = wait_for(lambda: (a := account(api, "C-501")) and a["owed_fen"] == 24_000 and a, "the catalogue charge")
    assert [e["amount_fen"] for e in acct["entries"]] == [24_000]

    visit = wait_for(lambda: visits_for(api, wo["id"]), "return visit")[0]
    api["survey"].post(f"/v1/plazas/{PLAZA}/visits/{visit['id']}/response", json={"rating": "unsatisfied"})
    wait_for(lambda: (w := work_order_for(api, r.json()["id"])) and w["reopen_count"] == 1, "second dispatch", timeout=10)
    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": False})
    do(api, wo["id"], "close")
    wait_for(lambda: len(visits_for(api, wo["id"])) == 2, "the second close reached survey")
    asyncio.run(consumers_caught_up(system.nats_url, [("DISPATCH", "billing-work-order-closed")]))
    assert [e["amount_fen"] for e in account(api, "C-501")["entries"]] == [24_000]  # once
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    revenue = api["billing"].get(f"/v1/plazas/{PLAZA}/reports/monthly", params={"month": month}).json()["services"]
    assert [(s["item"], s["quantity"], s["amount_fen"]) for s in revenue] == [("AC-CLEAN", 2, 24_000)]
