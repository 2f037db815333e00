"""The occupant's phone: their one-time link opens /me with their unit's requests, account
and return visit, and they report an issue; the no-login survey link is answered on a
phone, once."""

from __future__ import annotations

import httpx
import pytest

from services.console.i18n.domain import money
from tests.browser.conftest import PLAZA
from tests.support.harness import eventually

pytestmark = pytest.mark.browser

UNIT = "C-0802"


async def _token(system, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=system.url("staff"), timeout=10) as staff:
        r = await staff.post("/v1/token", json={"username": username, "password": system.logins[username]})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _closed_job_with_a_visit(system, clerk: dict, unit: str = UNIT) -> dict:
    """A blocked drain logged by the desk, done by engineering and closed: billing has its
    charge and survey its return visit."""
    op = system.operator_auth
    async with httpx.AsyncClient(timeout=10) as c:
        intake, dispatch, survey = system.url("intake"), system.url("dispatch"), system.url("survey")
        base = f"/v1/plazas/{PLAZA}"

        async def logged():
            r = await c.post(f"{intake}{base}/requests", headers=clerk,
                             json={"channel": "phone", "unit": unit, "text": f"the drain in {unit} is blocked"})
            return r.json() if r.status_code == 202 else None
        request = await eventually(logged, timeout=30, what="intake takes the call")

        async def work_order():
            items = (await c.get(f"{dispatch}{base}/work-orders", params={"request_id": request["id"]}, headers=op)).json()
            return (items.get("items") or [None])[0]
        wo = await eventually(work_order, timeout=30, what="dispatch opens the work order")
        for action, body in (("assign", {"assignee": "demo-engineer"}), ("start", {}),
                             ("resolve", {"paid": True, "labour_fen": 5000, "materials": []}), ("close", {})):
            r = await c.post(f"{dispatch}{base}/work-orders/{wo['id']}/{action}", json=body, headers=op)
            assert r.status_code in (200, 201), f"{action}: {r.text}"

        async def visit():
            items = (await c.get(f"{survey}{base}/visits", params={"work_order_id": wo["id"]}, headers=op)).json()["items"]
            return items[0] if items else None
        found = await eventually(visit, timeout=30, what="survey schedules the return visit")

        async def charged():
            r = await c.get(f"{system.url('billing')}{base}/accounts/{unit}", headers=op)
            return r.status_code == 200 and any(e["kind"] == "charge" for e in r.json()["entries"])
        await eventually(charged, timeout=30, what="billing posts the job's charge")
        return {"request": request, "work_order": wo, "visit": found}


async def test_an_occupant_opens_their_link_sees_their_unit_and_reports_an_issue(console, system):
    clerk = await _token(system, "demo-clerk")
    job = await _closed_job_with_a_visit(system, clerk)
    async with httpx.AsyncClient(base_url=system.url("staff"), timeout=10) as staff:
        r = await staff.post(f"/v1/plazas/{PLAZA}/occupant-links", json={"unit": UNIT}, headers=clerk)
        assert r.status_code == 201, r.text
        link = r.json()["token"]
        desk_path = r.json()["path"]

    # The link as the desk sends it: the token in the fragment.
    page = await console.page_as(None, phone=True)
    await page.goto(desk_path)
    await page.get_by_role("button", name="打开我的铺位").click()
    await page.wait_for_url("**/me")
    assert await page.locator("body.phone").count() == 1
    assert await page.get_by_test_id("unit").inner_text() == UNIT
    requests = page.get_by_test_id("requests")
    await requests.get_by_text("the drain in C-0802 is blocked").wait_for()
    async with httpx.AsyncClient(base_url=system.url("billing"), headers=system.operator_auth, timeout=10) as billing:
        owed = (await billing.get(f"/v1/plazas/{PLAZA}/accounts/{UNIT}")).json()["owed_fen"]
    assert owed >= 5000, "the job's charge is owed"
    assert money(owed) in await page.get_by_test_id("my-owed").inner_text()
    await page.get_by_test_id("visits").get_by_role("button", name="满意", exact=True).wait_for()

    await page.fill("textarea[name=text]", "门口的灯不亮了")
    await page.get_by_role("button", name="提交给物业客服").click()
    await page.get_by_test_id("reported").wait_for()
    await requests.get_by_text("门口的灯不亮了").wait_for()
    await console.shoot(page, "occupant")

    await page.get_by_test_id("visits").get_by_role("button", name="满意", exact=True).click()
    await page.get_by_text("感谢您的评价！").wait_for()
    await page.get_by_test_id("visits").get_by_text("已评价").wait_for()

    async with httpx.AsyncClient(base_url=system.url("intake"), headers=system.operator_auth, timeout=10) as intake:
        items = (await intake.get(f"/v1/plazas/{PLAZA}/requests", params={"unit": UNIT})).json()["items"]
    mine = [i for i in items if i["text"] == "门口的灯不亮了"]
    assert len(mine) == 1 and mine[0]["channel"] == "online" and mine[0]["unit"] == UNIT

    # Spent: the same link opens nothing a second time.
    other = await console.page_as(None, phone=True)
    await other.goto(f"/me/sign-in?token={link}")
    await other.get_by_role("button", name="打开我的铺位").click()
    await other.get_by_text("链接已过期或已被使用").wait_for()
    assert job["visit"]["unit"] == UNIT
    await other.goto(f"/occupant/{PLAZA}/login")
    await other.get_by_text("链接无效").wait_for()


async def test_a_survey_link_is_answered_on_a_phone_once(console, system):
    clerk = await _token(system, "demo-clerk")
    # Another unit: a second visit to C-0802 this soon would be spared (the fatigue window).
    job = await _closed_job_with_a_visit(system, clerk, "C-1506")
    async with httpx.AsyncClient(base_url=system.url("survey"), timeout=10) as survey:
        r = await survey.post(f"/v1/plazas/{PLAZA}/visits/{job['visit']['id']}/link", headers=clerk)
        assert r.status_code == 201, r.text
        token = r.json()["token"]

    page = await console.page_as(None, phone=True)
    await page.goto(f"/s/{PLAZA}/{token}")
    await page.get_by_role("heading", name="请对本次服务进行评价").wait_for()
    await page.get_by_text("基本满意").wait_for()
    await console.shoot(page, "survey-link")
    await page.get_by_text("不满意").click()
    await page.get_by_label("响应慢").check()
    await page.fill("textarea[name=comment]", "等了两天才来")
    await page.get_by_role("button", name="提交").click()
    await page.get_by_test_id("thanks").wait_for()
    await console.shoot(page, "survey-link-thanks")

    async with httpx.AsyncClient(base_url=system.url("survey"), headers=system.operator_auth, timeout=10) as survey:
        visit = (await survey.get(f"/v1/plazas/{PLAZA}/visits/{job['visit']['id']}")).json()
    assert visit["rating"] == "unsatisfied" and visit["channel"] == "online"
    assert visit["reasons"] == ["slow_response"] and visit["comment"] == "等了两天才来"

    await page.goto(f"/s/{PLAZA}/{token}")
    assert "此问卷已提交" in await page.get_by_test_id("link-refused").inner_text()
    await page.goto(f"/s/{PLAZA}/{token[:-4]}AAAA")
    assert "链接无效" in await page.get_by_test_id("link-refused").inner_text()
