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
