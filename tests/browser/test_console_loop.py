"""The whole loop as the people at a plaza do it, in Chromium: the clerk logs a call; it
appears in engineering's queue without a reload; the supervisor assigns it; the engineer
resolves it with a material from stock; the clerk closes it; its return visit appears on
the worklist; the clerk records "unsatisfied"; the job is back in engineering's queue; the
unit's account shows the job's charge once."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PLAZA
from tests.support.console_jobs import Jobs
from tests.support.harness import Bus, eventually

pytestmark = pytest.mark.browser
UNIT = "A-203"


async def staff_known_to_dispatch(system) -> None:
    """Dispatch assigns only people its copy of the staff register has (from STAFF events)."""
    async with Bus(system.nats_url) as bus:
        await eventually(lambda: bus.caught_up("STAFF", "dispatch-staff"), timeout=30, what="dispatch to know the staff")


async def test_a_call_goes_round_the_whole_loop_in_the_console(console, system):
    await staff_known_to_dispatch(system)
    async with Jobs(system) as jobs:
        await jobs.stock_item("TRAP-50", "地漏 50mm", 1850, 20)

    # Engineering watches its queue.
    engineer = await console.page_as("demo-engineer")
    await engineer.goto("/work-orders")
    await engineer.evaluate("window.stillTheSamePage = true")

    # 1. The clerk logs the call.
    clerk = await console.page_as("demo-clerk")
    await clerk.goto("/desk")
    await clerk.bring_to_front()  # several people's pages are open: the clerk's has the keyboard
    await clerk.locator("#unit-search").press_sequentially(UNIT)
    await clerk.locator(f"#unit-options [role=option][data-unit='{UNIT}']").wait_for()
    await clerk.keyboard.press("ArrowDown")
    await clerk.keyboard.press("Enter")
    await clerk.fill("#desk-text", f"{UNIT} 店里的下水道堵了，水漫到门口了")
    await clerk.get_by_role("button", name="登记").click()
    number = clerk.locator("[data-testid=request-id]")
    await number.wait_for()
    logged_at = time.monotonic()
    request_id = (await number.text_content()).strip()

    # 2. It appears in engineering's queue without a reload (the benchmark measures how fast).
    row = engineer.locator(f"tr[data-request='{request_id}']")
    await row.wait_for()
    print(f"request → engineering's queue: {time.monotonic() - logged_at:.2f} s")
    assert await engineer.evaluate("window.stillTheSamePage === true"), "no reload"
    await expect(row).to_contain_text("下水道堵了")
    work_order_id = await row.get_attribute("data-id")
    assert work_order_id

    # 3. The supervisor assigns it to the engineer, from engineering's active staff.
    supervisor = await console.page_as("demo-supervisor")
    await supervisor.goto(f"/work-orders/{work_order_id}")
    assign = supervisor.locator("form[data-action=assign]")
    await assign.locator("select[name=assignee]").select_option("demo-engineer")
    await assign.get_by_role("button", name="派工").click()
    await supervisor.locator("[data-testid=assignee]", has_text="demo-engineer").wait_for()

    # 4. The engineer starts and resolves it: paid, labour and a material from stock.
    await row.locator("a").first.click()
    await engineer.wait_for_url(f"**/work-orders/{work_order_id}")
    await engineer.locator("form[data-action=start] button").click()
    await engineer.locator("[data-testid=status]", has_text="处理中").wait_for()
    resolve = engineer.locator("form[data-action=resolve]")
    await resolve.get_by_label("是").check()
    await resolve.locator("input[name=labour_yuan]").fill("80")
    await resolve.locator("select[name=sku]").first.select_option("TRAP-50")
    await resolve.locator("input[name=quantity]").first.fill("1")
    await resolve.get_by_role("button", name="完工").click()
    await engineer.locator("[data-testid=status]", has_text="已完工").wait_for()

    # 5. The clerk closes it.
    await clerk.goto(f"/work-orders/{work_order_id}")
    await clerk.locator("form[data-action=close] button").click()
    await clerk.locator("[data-testid=status]", has_text="已关闭").wait_for()

    # 6. Its return visit appears on the clerk's worklist; the caller is unsatisfied.
    async with Jobs(system) as jobs:
        visit = await jobs.visit_of(work_order_id)
    await clerk.goto("/visits")
    card = clerk.locator(f"#visit-{visit['id']}")
    await card.wait_for()
    await expect(card).to_contain_text(UNIT)
    await card.get_by_label("电话").check()
    await card.get_by_role("button", name="不满意").click()
    await clerk.locator(f"#answered-{visit['id']} a.reopened").wait_for()

    # 7. The job is back in engineering's queue (二次派单), again without a reload.
    await engineer.goto("/work-orders")
    back = engineer.locator(f"tr[data-id='{work_order_id}']")
    await back.wait_for()
    await expect(back).to_contain_text("已派工")

    # 8. The account shows the job's charge once: the labour and the material, one line each.
    finance = await console.page_as("demo-finance")
    await finance.goto(f"/billing/{UNIT}")
    charged = finance.locator(f"[data-testid=entries] tr:has(a[href='/work-orders/{work_order_id}'])")
    await expect(charged).to_have_count(2)
    async with httpx.AsyncClient(base_url=system.url("billing"), headers=system.operator_auth) as billing:
        account = (await billing.get(f"/v1/plazas/{PLAZA}/accounts/{UNIT}")).json()
    lines = [e for e in account["entries"] if e.get("work_order_id") == work_order_id]
    assert sorted(e["amount_fen"] for e in lines) == [1850, 8000]
