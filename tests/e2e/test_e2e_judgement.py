"""The desk's judgement through the public APIs of every service as real processes: a
correction reaches the complaint report and the dunning hold; a re-routed job moves from one
department's queue to another's; a mixed message becomes a job and a praise; a complaint
about a public area is visited by the caller's phone; every closed job has its visit."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from scripts.system import System
from tests.support.harness import Bus, default_headers, eventually, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "judge-plaza"
CALLER = {"name": "路人 王先生", "phone": "13900009999"}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with System(tmp_path_factory.mktemp("judgement"), default_ports=False,
                env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()}) as running:
        yield running


@pytest.fixture(scope="module")
def api(system):
    clients = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers())
               for name in system.ports if name != "console"}
    assert clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Judgement Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    for unit in ("J-101", "J-102", "J-103"):
        r = clients["archive"].put(f"/v1/plazas/{PLAZA}/units/{unit}", json={
            "area_m2": 50, "use": "shop", "occupant": {"name": "商户", "kind": "merchant", "phone": "13800001111"},
            "key_account": False})
        assert r.status_code in (200, 201), r.text
        wait_for(lambda: clients["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={
            "channel": "phone", "unit": unit, "text": " "}).json().get("field") == "text", f"intake to learn {unit}")
    for name, path in (("dispatch", "work-orders"), ("billing", "accounts"), ("survey", "visits"), ("staff", "staff")):
        wait_for(lambda: clients[name].get(f"/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{name} to learn the plaza")
    for username, department in (("eng-li", "engineering"), ("clean-he", "cleaning")):
        r = clients["staff"].put(f"/v1/plazas/{PLAZA}/staff/{username}",
                                 json={"name": username, "roles": ["staff"], "department": department})
        assert r.status_code in (200, 201), r.text
    asyncio.run(_caught_up(system.nats_url, [("STAFF", "dispatch-staff")]))
    yield clients
    for c in clients.values():
        c.close()


async def _caught_up(nats_url: str, consumers: list[tuple[str, str]], timeout: float = 30) -> None:
    async with Bus(nats_url) as bus:
        for stream, durable in consumers:
            await eventually(lambda: bus.caught_up(stream, durable), timeout=timeout, what=f"{durable} to catch up")


async def _dead_letters(nats_url: str) -> list:
    async with Bus(nats_url) as bus:
        return [m.subject for m in await bus.messages("DEADLETTER")]


def log(api, body: dict) -> dict:
    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests", json={"channel": "phone", **body})
    assert r.status_code == 202, r.text
    return r.json()


def work_order_for(api, request_id: str) -> dict:
    def found():
        items = api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id}).json()["items"]
        return items[0] if items else None
    return wait_for(found, f"the work order of {request_id}")


def do(api, wo_id: str, action: str, body: dict | None = None) -> dict:
    r = api["dispatch"].post(f"/v1/plazas/{PLAZA}/work-orders/{wo_id}/{action}", json=body or {})
    assert r.status_code == 200, f"{action}: {r.status_code} {r.text}"
    return r.json()


def close(api, wo: dict, paid: bool = False) -> dict:
    assignee = "clean-he" if wo["department"] == "cleaning" else "eng-li"
    if wo["department"] not in ("cleaning", "engineering"):
        wo = do(api, wo["id"], "reroute", {"department": "engineering", "reason": "工程部处理"})
    do(api, wo["id"], "assign", {"assignee": assignee})
    do(api, wo["id"], "start")
    do(api, wo["id"], "resolve", {"paid": paid, "labour_fen": 3000 if paid else 0, "materials": []})
    return do(api, wo["id"], "close")


def queue(api, department: str) -> set[str]:
    items = api["dispatch"].get(f"/v1/plazas/{PLAZA}/departments/{department}/queue").json()["items"]
    return {i["id"] for i in items}


def test_a_request_corrected_into_a_complaint_counts_in_the_report_and_holds_dunning(api):
    # J-101 owes for a paid job; a later call about it is logged as a service request.
    close(api, work_order_for(api, log(api, {"unit": "J-101", "text": "J-101 门锁坏了"})["id"]), paid=True)
    wait_for(lambda: api["billing"].get(f"/v1/plazas/{PLAZA}/accounts/J-101").json().get("owed_fen") == 3000, "the charge")
    call = log(api, {"unit": "J-101", "text": "J-101 的空调不制冷"})
    assert call["kind"] == "service"
    work_order_for(api, call["id"])
    month = dt.datetime.now(dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")

    def report():
        return api["dispatch"].get(f"/v1/plazas/{PLAZA}/reports/complaints", params={"month": month}).json()
    before = report()["count"]

    r = api["intake"].post(f"/v1/plazas/{PLAZA}/requests/{call['id']}/reclassify",
                           json={"kind": "complaint", "reason": "第三次报修：商户要投诉"})
    assert r.status_code == 200, r.text
    counted = wait_for(lambda: (b := report())["count"] == before + 1 and b, "the report to count the correction")
    assert call["id"] in {c["request_id"] for c in counted["complaints"]}
    assert counted["reclassified_into_complaint"] >= 1

    later = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    def held():
        units = api["billing"].get(f"/v1/plazas/{PLAZA}/arrears", params={"as_of": later}).json()["units"]
        return any(u["unit"] == "J-101" and u["dunning_held"] for u in units)
    wait_for(held, "dunning held for J-101 while its complaint is open")


def test_a_rerouted_job_leaves_one_queue_for_the_other(api):
    wo = work_order_for(api, log(api, {"unit": "J-102", "text": "J-102 门口的灯不亮"})["id"])
    assert wo["department"] == "engineering" and wo["id"] in queue(api, "engineering")
    moved = do(api, wo["id"], "reroute", {"department": "cleaning", "reason": "是灯罩里积灰，保洁清理即可"})
    assert moved["department"] == "cleaning"
    assert wo["id"] not in queue(api, "engineering") and wo["id"] in queue(api, "cleaning")


def test_a_mixed_message_becomes_a_job_and_a_praise(api):
    answer = log(api, {"unit": "J-103", "text": "J-103 门口的灯坏了，另外谢谢上次的维修师傅"})
    assert answer["kind"] == "service" and [a["kind"] for a in answer["also"]] == ["praise"]
    work_order_for(api, answer["id"])
    praise_id = answer["also"][0]["id"]

    def praised():
        return praise_id in {p["request_id"] for p in api["dispatch"].get(f"/v1/plazas/{PLAZA}/praise").json()["items"]}
    wait_for(praised, "the praise record to reach dispatch")


def test_a_complaint_about_a_public_area_is_visited_by_the_callers_phone(api, system):
    area = api["intake"].get(f"/v1/plazas/{PLAZA}/public-areas").json()["items"][0]["id"]
    answer = log(api, {"area": area, "contact": CALLER, "text": "投诉：停车场出口的栏杆坏了，车出不去，没人管"})
    assert answer["kind"] == "complaint"
    wo = work_order_for(api, answer["id"])
    assert wo["unit"] == "" and wo["area"] == area
    close(api, wo)

    def visited():
        items = api["survey"].get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": wo["id"]}).json()["items"]
        return items[0] if items else None
    visit = wait_for(visited, "the public-area job's return visit")
    assert CALLER["phone"] in str(visit)
    # No service took the job for a unit it does not know: every consumer took every event
    # (an event naming an unknown unit would wait and then be dead-lettered).
    archive = [(stream, f"archive-{stream.lower()}") for stream in ("INTAKE", "DISPATCH", "SURVEY", "BILLING")]
    asyncio.run(_caught_up(system.nats_url, archive, timeout=60))
    assert asyncio.run(_dead_letters(system.nats_url)) == []


def test_every_closed_job_has_its_return_visit(api):
    # Two more jobs on one unit within days: the second is visited too (by link, not skipped).
    for text in ("J-102 卫生间水龙头漏水", "J-102 卫生间的灯闪"):
        close(api, work_order_for(api, log(api, {"unit": "J-102", "text": text})["id"]))
    closed = api["dispatch"].get(f"/v1/plazas/{PLAZA}/work-orders", params={"status": "closed", "limit": 500}).json()["items"]
    assert len(closed) >= 4

    def missing():
        return [w["id"] for w in closed if not api["survey"].get(
            f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": w["id"]}).json()["items"]]
    wait_for(lambda: not missing() or None, "a visit for every closed job")
    skipped = api["survey"].get(f"/v1/plazas/{PLAZA}/visits", params={"status": "skipped"}).json()["items"]
    assert skipped == [], "no closed job's visit is skipped"
