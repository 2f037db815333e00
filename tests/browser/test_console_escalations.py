"""The escalation inbox in Chromium: a major complaint is in the manager's inbox at once."""

from __future__ import annotations

import pytest

from tests.support.console_jobs import Jobs

pytestmark = pytest.mark.browser


async def test_the_manager_sees_a_major_complaint(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("A-203", "投诉：A-203 门前地面湿滑，顾客摔倒受伤，家属要找媒体"))
    assert order["major"] is True
    manager = await console.page_as("demo-manager")
    await manager.goto("/escalations")
    row = manager.locator(f"tr[data-id='{order['id']}']")
    await row.wait_for()
    text = await row.inner_text()
    assert "重大投诉" in text and "物业经理" in text
    assert "major" in (await row.get_attribute("class"))
    await console.shoot(manager, "escalations")


async def test_the_desk_escalates_beyond_its_authority_and_the_supervisor_sees_why(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("B-1201", "B-1201 整条排水管堵塞，需要更换"))
    clerk = await console.page_as("demo-clerk")
    await clerk.goto(f"/work-orders/{order['id']}")
    escalate = clerk.locator("form[data-action=escalate]")
    await escalate.locator("select[name=level]").select_option("supervisor")
    await escalate.locator("input[name=reason]").fill("需要更换整条管线，费用超出授权")
    await escalate.get_by_role("button", name="升级").click()
    await clerk.locator("#work-order").get_by_text("需要更换整条管线，费用超出授权").wait_for()

    supervisor = await console.page_as("demo-supervisor")
    await supervisor.goto("/escalations")
    row = supervisor.locator(f"tr[data-id='{order['id']}']")
    await row.wait_for()
    text = await row.inner_text()
    assert "超出权限" in text and "需要更换整条管线" in text and "客服主管" in text
