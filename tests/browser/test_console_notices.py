"""Notices at the console: the clerk writes one to a unit, the supervisor approves and
sends it (the writer could not), the occupant opens the signed link of its message on their
phone (reading it) and sees it read on their page, and the desk sees that nobody is left
who has not read it."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PLAZA
from tests.browser.test_console_occupant import _token
from tests.support.documents import pdf_text
from tests.support.harness import eventually

pytestmark = pytest.mark.browser

UNIT = "A-305"


async def test_a_notice_is_written_approved_read_by_the_occupant_and_counted(console, system):
    clerk = await console.page_as("demo-clerk")
    await clerk.goto("/notices")
    await clerk.fill("input[name=title]", "停水通知")
    await clerk.fill("textarea[name=body]", "{merchant}（{unit}）您好：明日 9:00–12:00 停水检修。")
    await clerk.fill("input[name=units]", UNIT)
    await clerk.get_by_role("button", name="提交审批").click()
    await clerk.wait_for_url("**/notices/*")
    await expect(clerk.get_by_test_id("status")).to_have_text("待审批")
    notice_id = clerk.url.split("#")[0].rstrip("/").split("/")[-1]
    # The writer is offered no approval (four eyes).
    assert await clerk.get_by_role("button", name="批准并发送").count() == 0

    async with httpx.AsyncClient(base_url=system.url("notices"), headers=system.operator_auth, timeout=10) as notices:
        async def reaches_the_unit():
            r = await notices.get(f"/v1/plazas/{PLAZA}/notices/{notice_id}/audience")
            return r.status_code == 200 and [u["unit"] for u in r.json()["items"]] == [UNIT]
        await eventually(reaches_the_unit, timeout=30, what="notices to know the demo units")

    supervisor = await console.page_as("demo-supervisor")
    await supervisor.goto(f"/notices/{notice_id}")
    await expect(supervisor.get_by_test_id("audience")).to_contain_text(UNIT)
    await supervisor.get_by_role("button", name="批准并发送").click()
    await expect(supervisor.get_by_test_id("status")).to_have_text("已发布")
    await expect(supervisor.get_by_test_id("unread")).to_contain_text(UNIT)
    await console.shoot(supervisor, "notice")

    # The SMS carries the unit's signed link to the console's phone page: opening it is reading it.
    async with httpx.AsyncClient(base_url=system.url("notices"), headers=system.operator_auth, timeout=10) as notices:
        [recipient] = (await notices.get(f"/v1/plazas/{PLAZA}/notices/{notice_id}/recipients")).json()["items"]
    assert recipient["url"].startswith(system.url("console"))
    opened = await console.page_as(None, phone=True)
    await opened.goto(recipient["url"])
    await expect(opened.get_by_test_id("notice-title")).to_have_text("停水通知")
    await expect(opened.get_by_test_id("notice-read")).to_contain_text("阅读于")
    forged = await console.page_as(None, phone=True)
    await forged.goto(recipient["url"][:-4] + "AAAA")
    await expect(forged.get_by_test_id("link-refused")).to_be_visible()

    # The occupant's page shows it read.
    clerk_token = await _token(system, "demo-clerk")
    async with httpx.AsyncClient(base_url=system.url("staff"), timeout=10) as staff:
        r = await staff.post(f"/v1/plazas/{PLAZA}/occupant-links", json={"unit": UNIT}, headers=clerk_token)
        assert r.status_code == 201, r.text
        desk_path = r.json()["path"]
    phone = await console.page_as(None, phone=True)
    await phone.goto(desk_path)
    await phone.get_by_role("button", name="打开我的铺位").click()
    await phone.wait_for_url("**/me")
    mine = phone.get_by_test_id("notices")
    await expect(mine).to_contain_text("停水通知")
    await expect(mine).to_contain_text(f"（{UNIT}）您好：明日 9:00–12:00 停水检修。")
    await expect(phone.locator(f"#n-{notice_id}")).to_have_attribute("data-read", "yes")

    # A second one, read with the page's own button.
    supervisor_token = await _token(system, "demo-supervisor")
    async with httpx.AsyncClient(base_url=system.url("notices"), timeout=10) as notices:
        r = await notices.post(f"/v1/plazas/{PLAZA}/notices", headers=clerk_token, json={
            "kind": "tip", "title": "温馨提示", "body": "天气转冷，请注意防火。", "audience": {"units": [UNIT]}})
        tip = r.json()["id"]
        assert (await notices.post(f"/v1/plazas/{PLAZA}/notices/{tip}/submit", headers=clerk_token)).status_code == 200
        assert (await notices.post(f"/v1/plazas/{PLAZA}/notices/{tip}/approve", headers=supervisor_token)).status_code == 200
    await phone.reload()
    await expect(phone.locator(f"#n-{tip}")).to_have_attribute("data-read", "no")
    await phone.locator(f"#n-{tip}").get_by_role("button", name="我已阅读").click()
    await expect(phone.locator(f"#n-{tip}")).to_have_attribute("data-read", "yes")
    await expect(phone.locator(f"#n-{tip}")).to_contain_text("阅读于")

    # A letter to the unit: its copy is printed from the occupant's own page.
    async with httpx.AsyncClient(base_url=system.url("notices"), timeout=10) as notices:
        r = await notices.post(f"/v1/plazas/{PLAZA}/notices", headers=clerk_token, json={
            "kind": "letter", "title": "装修押金退还通知", "body": "{merchant}您好：您的装修押金已验收，可至客服中心办理退还。",
            "audience": {"units": [UNIT]}})
        assert r.status_code == 201, r.text
        letter = r.json()["id"]
        assert (await notices.post(f"/v1/plazas/{PLAZA}/notices/{letter}/submit", headers=clerk_token)).status_code == 200
        assert (await notices.post(f"/v1/plazas/{PLAZA}/notices/{letter}/approve", headers=supervisor_token)).status_code == 200
    await phone.reload()
    link = phone.locator(f"#n-{letter}").get_by_test_id("letter-pdf")
    await expect(link).to_have_text("打印信函（PDF）")
    assert await phone.locator(f"#n-{tip}").get_by_test_id("letter-pdf").count() == 0  # a tip is not a letter
    printed = await phone.request.get(await link.get_attribute("href"))
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    text = pdf_text(await printed.body())
    assert "装修押金已验收" in text and UNIT in text, text

    await supervisor.reload()
    await expect(supervisor.locator("#unread")).to_contain_text("所有单元均已阅读")
    await clerk.goto("/notices")
    await expect(clerk.locator(f"tr[data-id='{notice_id}']")).to_contain_text("1 / 1")
    await console.shoot(clerk, "notices")
