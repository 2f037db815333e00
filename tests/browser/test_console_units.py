"""The register (档案) in Chromium: the unit card with its timeline in words, and the
register's import with the rows it refused."""

from __future__ import annotations

import secrets
import uuid

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PLAZA, sign_in
from tests.support.harness import eventually

pytestmark = pytest.mark.browser


async def test_the_unit_card_shows_what_happened_to_the_unit_newest_first(console, system):
    text = "C-0802 门口的灯不亮了"
    async with httpx.AsyncClient(headers=system.operator_auth) as c:
        r = await c.post(f"{system.url('intake')}/v1/plazas/{PLAZA}/requests",
                         json={"channel": "phone", "unit": "C-0802", "text": text},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 202, r.text

        async def filed():
            t = await c.get(f"{system.url('archive')}/v1/plazas/{PLAZA}/units/C-0802/timeline")
            return any(i["type"] == "WorkOrderCreated" for i in t.json()["items"])
        await eventually(filed, timeout=30, what="the work order on C-0802's timeline")

    page = await console.page_as("demo-clerk")
    await page.goto("/units")
    await page.keyboard.type("C-08")
    await page.get_by_role("link", name="C-0802").click()
    timeline = page.locator("[data-testid=timeline] li")
    await expect(timeline.first).to_contain_text("生成派工单")
    await expect(page.locator("[data-testid=timeline]")).to_contain_text("受理客户信息")
    await expect(timeline.last).to_contain_text("档案登记或变更")
    await expect(page.locator("[data-testid=edit-unit]")).to_have_count(0)  # a clerk does not edit the register
    await console.shoot(page, "unit-card")

    await page.set_input_files("input[name=file]", files=[
        {"name": "租赁合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 lease"}])
    await page.get_by_role("button", name="上传").click()
    await expect(page.locator("#documents")).to_contain_text("租赁合同.pdf")
    await expect(timeline.first).to_contain_text("文件归档")
    download = await page.request.get(await page.get_by_role("link", name="租赁合同.pdf").get_attribute("href"))
    assert download.status == 200 and await download.body() == b"%PDF-1.4 lease"


async def operator_page(console, system):
    """A person with the operator's role at the demo plaza, signed in at the console."""
    username, password = "units-operator", "op-" + secrets.token_urlsafe(16)
    async with httpx.AsyncClient(base_url=system.url("staff"), headers=system.operator_auth) as staff:
        r = await staff.put(f"/v1/plazas/{PLAZA}/staff/{username}",
                            json={"name": "运维 Operator", "roles": ["operator"], "password": password})
        assert r.status_code in (200, 201), r.text
    page = await console.page_as(None)
    await sign_in(page, username, password)
    return page


async def test_an_import_shows_the_rows_it_refused(console, system):
    page = await operator_page(console, system)
    await page.goto("/units")
    await page.get_by_role("link", name="导入档案").click()
    register = "房号,面积,用途,业户,业户类型\nD-901,50,商铺,新商户,商户\nD-902,很大,商铺,某商户,商户\nD-903,60,仓库,某商户,商户\n"
    await page.set_input_files("input[name=file]", files=[
        {"name": "units.csv", "mimeType": "text/csv", "buffer": register.encode()}])
    await page.get_by_role("button", name="导入", exact=True).click()
    rows = page.locator("[data-testid=rejected-rows] tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first.locator("td").first).to_have_text("3")
    await expect(page.locator("[data-testid=import-report]")).to_contain_text("已检查，未作修改")
    await console.shoot(page, "units-import")


async def test_an_operator_edits_a_unit_and_the_revision_names_what_changed(console, system):
    page = await operator_page(console, system)
    await page.goto("/units/A-101")
    await page.get_by_test_id("edit-unit").click()
    await page.get_by_label("楼层").fill("1F")
    await page.get_by_label("面积（㎡）").fill("abc")
    await page.get_by_role("button", name="保存").click()
    await expect(page.locator(".field-error")).to_contain_text("面积")
    await expect(page.get_by_label("楼层")).to_have_value("1F")
    await page.get_by_label("面积（㎡）").fill("66.5")
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url("**/units/A-101")
    await expect(page.locator(".facts").first).to_contain_text("66.5")
    await page.get_by_role("link", name="修订记录").click()
    await expect(page.locator("tbody tr").first).to_contain_text("楼层")

    export = await page.request.get("/units/export.xlsx")
    assert export.status == 200
    assert (await export.body())[:2] == b"PK", "an .xlsx workbook"
