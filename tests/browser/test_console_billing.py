"""收费 in Chromium: a payment sent twice (a double click, then the same form twice at
once) takes the money once; a payment taken elsewhere appears on the open account; the arrears by age and the 催缴 worklist, with a call recorded."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.browser.conftest import PLAZA
from tests.support.harness import eventually

pytestmark = pytest.mark.browser

FORM_FIELDS = "form => Object.fromEntries(new FormData(form))"


async def _billing(system) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=system.url("billing"), headers=system.operator_auth, timeout=10)


async def _payments(api: httpx.AsyncClient, unit: str, reference: str) -> list[dict]:
    r = await api.get(f"/v1/plazas/{PLAZA}/accounts/{unit}")
    return [e for e in r.json()["entries"] if e["kind"] == "payment" and e.get("reference") == reference] \
        if r.status_code == 200 else []


async def test_a_payment_sent_twice_is_taken_once_and_a_receipt_and_a_fresh_form_follow(console, system):
    async with await _billing(system) as api:
        await eventually(lambda: _known(api, "A-203"), timeout=30, what="billing knows A-203")
        page = await console.page_as("demo-finance")
        await page.goto("/billing")
        await page.fill("input[name=q]", "A-203")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/billing/A-203")

        await page.fill("input[name=amount]", "1,234.567")
        await page.get_by_label("微信").check()
        await page.click("form[data-testid=payment-form] button[type=submit]")
        await page.get_by_text("最多两位小数").wait_for()
        assert await page.input_value("input[name=amount]") == "1,234.567", "a refused form keeps what was typed"

        await page.fill("input[name=amount]", "1,234.5")
        await page.fill("input[name=reference]", "WX-DOUBLE-1")
        form = page.locator("form[data-testid=payment-form]")
        sent = await form.evaluate(FORM_FIELDS)
        posts = []
        page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/payments") else None)
        await page.dblclick("form[data-testid=payment-form] button[type=submit]")
        receipt = page.get_by_test_id("receipt")
        await receipt.wait_for()
        assert "¥1,234.50" in await receipt.inner_text()
        assert len(await _payments(api, "A-203", "WX-DOUBLE-1")) == 1, f"{len(posts)} submits, one payment"

        # The same form sent twice more at once (a re-sent page racing a retry): billing
        # answers each with the first payment.
        again = await asyncio.gather(*(page.request.post(f"{console.url}/billing/A-203/payments", form=sent)
                                       for _ in range(2)))
        assert all(a.ok and a.url == again[0].url and "/billing/A-203?paid=" in a.url for a in again)
        assert len(await _payments(api, "A-203", "WX-DOUBLE-1")) == 1, "four submits of one form, one payment"

        # The papers: the payment's receipt and the month's statement, PDF from billing.
        for link in (page.get_by_test_id("receipt-pdf").first, page.get_by_test_id("statement")):
            paper = await page.request.get(console.url + await link.get_attribute("href"))
            assert paper.ok and paper.headers["content-type"] == "application/pdf"
            assert (await paper.body()).startswith(b"%PDF")

        fresh = await page.locator("form[data-testid=payment-form] input[name=key]").input_value()
        assert fresh and fresh != sent["key"], "the next payment gets a new key"
        assert await page.input_value("input[name=amount]") == ""
        await console.shoot(page, "billing-account")


async def test_a_clerk_sees_the_account_but_is_not_offered_the_payment_form(console, system):
    page = await console.page_as("demo-clerk")
    # Whether the page's live connection is open: an event before it would be missed.
    await page.add_init_script("document.addEventListener('htmx:sseOpen', () => { window.liveOpen = true; })")
    await page.goto("/billing")
    await page.get_by_test_id("accounts").get_by_role("link", name="A-305").click()
    await page.wait_for_url("**/billing/A-305")
    await page.get_by_role("heading", name="账户 A-305").wait_for()
    assert await page.locator("form[data-testid=payment-form]").count() == 0
    await page.get_by_text("收款由财务办理").wait_for()

    # A payment taken elsewhere (the cashier's window) shows up on the open page.
    await page.wait_for_function("window.liveOpen === true")
    async with await _billing(system) as api:
        r = await api.post(f"/v1/plazas/{PLAZA}/accounts/A-305/payments", headers={"Idempotency-Key": "live-A-305"},
                           json={"amount_fen": 8800, "method": "alipay", "reference": "ALI-LIVE-305"})
        assert r.status_code == 201, r.text
    await page.get_by_test_id("entries").get_by_text("ALI-LIVE-305").wait_for()


async def _known(api: httpx.AsyncClient, unit: str) -> bool:
    r = await api.get(f"/v1/plazas/{PLAZA}/accounts/{unit}")
    return r.status_code == 200


async def test_arrears_by_age_and_the_dunning_worklist_with_a_call_recorded(console, system):
    async with await _billing(system) as api:
        units = ["A-101", "A-203", "A-305", "B-1201", "C-0802", "C-1506"]
        for unit in units:
            await eventually(lambda u=unit: _known(api, u), timeout=30, what=f"billing knows {unit}")
        r = await api.put(f"/v1/plazas/{PLAZA}/fee-rates", json={"shop": 1200, "office": 800, "residence": 350, "due_days": 15})
        assert r.status_code in (200, 201), r.text
        # Last year's fees, never paid: overdue by months.
        r = await api.post(f"/v1/plazas/{PLAZA}/fee-runs", json={"period": "2025-06"})
        assert r.status_code in (200, 201), r.text
        r = await api.post(f"/v1/plazas/{PLAZA}/dunning-runs", json={})
        assert r.status_code == 201, r.text

        page = await console.page_as("demo-clerk")
        await page.goto("/billing/arrears")
        table = page.get_by_test_id("ageing")
        await table.wait_for()
        assert await table.locator("thead th", has_text="180+天").count() == 1
        assert await table.locator("tbody tr").count() >= 5
        await console.shoot(page, "billing-arrears")

        await page.goto("/billing/dunning")
        tasks = page.get_by_test_id("dunning")
        await tasks.wait_for()
        row = tasks.locator("tbody tr").first
        task_id = await row.get_attribute("data-task")
        assert (await row.get_by_test_id("phone").get_attribute("href")).startswith("tel:"), "who to call, from archive"
        await console.shoot(page, "billing-dunning")
        await row.locator("select[name=outcome]").select_option("promised_to_pay")
        await row.locator("input[name=note]").fill("周五前付清")
        await row.get_by_role("button", name="登记").click()
        await page.wait_for_load_state()
        await page.locator(f"tr[data-task='{task_id}']").wait_for(state="detached")

        done = (await api.get(f"/v1/plazas/{PLAZA}/dunning/tasks", params={"status": "done"})).json()["items"]
        recorded = next(t for t in done if t["id"] == task_id)
        assert recorded["outcome"] == "promised_to_pay" and recorded["note"] == "周五前付清"
        assert recorded["recorded_by"], "who made the call is kept"
