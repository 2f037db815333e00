"""The desk in Chromium: a call logged with the keyboard alone, from the unit search to the
request number, and the work order it becomes in dispatch."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PLAZA
from tests.support.harness import eventually

pytestmark = pytest.mark.browser


async def focused(page) -> str:
    return await page.evaluate("document.activeElement && document.activeElement.id")


async def test_a_call_is_logged_with_the_keyboard_alone_and_becomes_a_work_order(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    await expect(page.locator("#unit-search")).to_be_focused()  # focus starts in the unit search

    await page.keyboard.type("A-203")
    await page.locator("#unit-options [role=option][data-unit='A-203']").wait_for()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await expect(page.locator("#unit-chosen")).to_have_value("A-203")
    await expect(page.locator("#glance h2")).to_contain_text("A-203")

    await page.keyboard.press("Tab")
    assert await focused(page) == "desk-text", "Tab goes from the unit to the text"
    await page.keyboard.type("A-203 铺位的下水道堵了，水漫出来了，请尽快派人来修")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")

    number = page.locator("[data-testid=request-id]")
    await number.wait_for()
    request_id = (await number.text_content()).strip()
    assert request_id
    await expect(page.locator("[data-testid=desk-result]")).to_contain_text("已登记")
    assert await focused(page) == "unit-search", "the next call starts in the unit search again"

    async with httpx.AsyncClient(base_url=system.url("dispatch"), headers=system.operator_auth) as dispatch:
        async def work_order():
            r = await dispatch.get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id})
            return r.status_code == 200 and r.json()["items"]
        orders = await eventually(work_order, timeout=30, what="a work order for the logged request")
    assert orders[0]["unit"] == "A-203"
    # The unit at a glance follows live: the new work order appears among the open ones.
    await expect(page.locator("#glance")).to_contain_text("下水道堵了")
    await console.shoot(page, "desk")


async def test_the_type_ahead_finds_a_unit_by_part_of_its_occupants_name(console, system):
    async with httpx.AsyncClient(base_url=system.url("archive"), headers=system.operator_auth) as archive:
        name = (await archive.get(f"/v1/plazas/{PLAZA}/units/B-1201")).json()["occupant"]["name"]
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    part = name[1:3]
    await expect(page.locator("#unit-search")).to_be_focused()
    await page.keyboard.type(part)
    option = page.locator("#unit-options [role=option][data-unit='B-1201']")
    await option.wait_for()
    await expect(option.locator("mark")).to_have_text(part)
    await option.click()
    await expect(page.locator("#glance h2")).to_contain_text("B-1201")


async def test_a_refused_request_keeps_what_was_typed_and_says_why_next_to_the_field(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    await page.get_by_label("非业户", exact=True).check()
    caller = page.locator("input[name=contact_name]:not([disabled])")
    await caller.fill("王先生")
    await page.fill("#desk-text", "停车场出口的栏杆坏了")
    await page.get_by_role("button", name="登记").click()
    await expect(page.locator(".field-error")).to_contain_text("姓名和电话")
    await expect(page.locator("#desk-text")).to_have_value("停车场出口的栏杆坏了")
    await expect(caller).to_have_value("王先生")


async def test_a_form_sent_twice_records_one_request(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    token = await page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken']")
    form = {"idempotency_key": await page.locator("input[name=idempotency_key]").input_value(),
            "channel": "visit", "about": "unit", "unit": "A-305", "text": "A-305 空调不制冷"}
    answers = []
    for _ in range(2):
        r = await page.request.post(f"{console.url}/desk/requests", form=form,
                                    headers={"x-csrftoken": token, "hx-request": "true"})
        assert r.status == 200
        answers.append(await r.text())
    ids = [a.split('data-testid="request-id">')[1].split("<")[0] for a in answers]
    assert ids[0] == ids[1]
    async with httpx.AsyncClient(base_url=system.url("intake"), headers=system.operator_auth) as intake:
        async def listed():
            r = await intake.get(f"/v1/plazas/{PLAZA}/requests", params={"unit": "A-305"})
            return [i for i in r.json()["items"] if i["text"] == "A-305 空调不制冷"]
        assert len(await eventually(listed, timeout=30, what="the request in intake's list")) == 1


async def test_the_desk_gives_an_occupant_a_link_that_opens_their_unit_on_a_phone(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    await page.locator("#unit-search").press_sequentially("C-1506")
    await page.locator("#unit-options [role=option][data-unit='C-1506']").click()
    await page.get_by_test_id("occupant-link").click()
    issued = page.get_by_test_id("occupant-link-issued")
    await issued.wait_for()
    url = await issued.locator("input.link").input_value()
    assert "/occupant/" in url and "#token=" in url, "the token travels in the fragment"

    phone = await console.page_as(None, phone=True)
    await phone.goto(url)
    await phone.get_by_role("button", name="打开我的铺位").click()
    await phone.wait_for_url("**/me")
    assert await phone.get_by_test_id("unit").inner_text() == "C-1506"


async def test_while_typing_the_desk_sees_a_major_complaint_and_a_mixed_message_split(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/desk")
    await page.locator("#unit-search").press_sequentially("A-305")
    await page.locator("#unit-options [role=option][data-unit='A-305']").click()
    text = page.locator("#desk-text")
    await text.press_sequentially("保安态度很差，还推了我，我已经受伤了，要找媒体曝光")
    proposal = page.get_by_test_id("proposal")
    await proposal.get_by_test_id("major").wait_for()
    await expect(proposal).to_contain_text("投诉")

    await text.fill("")
    await text.press_sequentially("门口的灯坏了，另外谢谢上次的维修师傅")
    await expect(proposal).to_contain_text("表扬")
    await expect(proposal).to_contain_text("工程部")
