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


async def test_a_door_to_door_visit_is_recorded_as_one(console, system):
    async with Jobs(system) as jobs:
        closed = await jobs.closed_job("A-101", "投诉：A-101 门口的灯修过还是一闪一闪")
        visit = await jobs.visit_of(closed["id"])
        clerk = await console.page_as("demo-clerk")
        await clerk.goto("/visits")
        card = clerk.locator(f"#visit-{visit['id']}")
        await card.locator("input[name=comment]").fill("师傅很及时")
        await card.get_by_label("上门").check()
        await card.locator("input[name=comment]").press("Enter")  # Enter alone records nothing
        await card.get_by_role("button", name="满意", exact=True).click()
        answered = clerk.locator(f"#answered-{visit['id']}")
        await answered.wait_for()
        assert "上门" in await answered.inner_text()
        assert (await jobs.visit_of(closed["id"]))["channel"] == "visit"
