"""The return-visit worklist in Chromium: an unsatisfied answer, recorded in two clicks,
shows the job sent back at once (二次派单)."""

from __future__ import annotations

import pytest

from tests.support.console_jobs import Jobs

pytestmark = pytest.mark.browser


async def test_an_unsatisfied_visit_shows_the_reopened_job(console, system):
    async with Jobs(system) as jobs:
        # A complaint: its visit is never spared by the fatigue window of the unit.
        closed = await jobs.closed_job("C-1506", "投诉：C-1506 空调修过以后还是不制冷")
        visit = await jobs.visit_of(closed["id"])

        clerk = await console.page_as("demo-clerk")
        await clerk.goto("/visits")
        card = clerk.locator(f"#visit-{visit['id']}")
        await card.wait_for()
        assert "C-1506" in await card.inner_text()
        await console.shoot(clerk, "visits")

        await card.get_by_label("电话").check()
        await card.get_by_role("button", name="不满意").click()
        reopened = clerk.locator(f"#answered-{visit['id']} a.reopened")
        await reopened.wait_for()
        assert "已二次派单" in await reopened.inner_text()
        await card.wait_for(state="detached")

        job = await jobs.work_order(closed["id"])
        assert job["status"] == "assigned" and job["reopen_count"] == 1
        await reopened.click()
        await clerk.wait_for_url(f"**/work-orders/{closed['id']}")
