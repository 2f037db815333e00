"""Suggestions and praise in Chromium: the manager follows a merchant's suggestion through to
a decision with its reply, and sees the praise credited to each department."""

from __future__ import annotations

import httpx
import pytest

from scripts import demo
from tests.support.harness import eventually

pytestmark = pytest.mark.browser
PLAZA = demo.PLAZA


class Feedback:
    """Requests logged at intake and what dispatch made of them, as the operator."""

    def __init__(self, system) -> None:
        self.intake = httpx.AsyncClient(base_url=system.url("intake"), timeout=10, headers=system.operator_auth)
        self.dispatch = httpx.AsyncClient(base_url=system.url("dispatch"), timeout=10, headers=system.operator_auth)

    async def __aenter__(self) -> "Feedback":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.intake.aclose()
        await self.dispatch.aclose()

    async def log(self, unit: str, text: str, kind: str) -> str:
        async def accepted():
            r = await self.intake.post(f"/v1/plazas/{PLAZA}/requests",
                                       json={"channel": "phone", "unit": unit, "text": text, "kind": kind})
            return r.json()["id"] if r.status_code == 202 else None

        return await eventually(accepted, timeout=30, interval=0.1, what=f"intake to take a {kind} for {unit}")

    async def held(self, listing: str, request_id: str) -> dict:
        """The suggestion or praise, once dispatch has filed it."""
        async def filed():
            r = await self.dispatch.get(f"/v1/plazas/{PLAZA}/{listing}", params={"limit": 500})
            found = [i for i in r.json().get("items") or [] if i["request_id"] == request_id] if r.status_code == 200 else []
            return found[0] if found else None

        return await eventually(filed, timeout=30, interval=0.05, what=f"dispatch to file {request_id} under {listing}")

    async def follow_up(self, request_id: str, body: dict) -> dict:
        r = await self.dispatch.post(f"/v1/plazas/{PLAZA}/suggestions/{request_id}/follow-up", json=body)
        assert r.status_code == 200, r.text
        return r.json()


async def test_the_manager_follows_a_suggestion_through_to_adopted_with_a_reply(console, system):
    async with Feedback(system) as feedback:
        request_id = await feedback.log("A-101", "建议停车场增加充电桩", "suggestion")
        await feedback.held("suggestions", request_id)

        manager = await console.page_as("demo-manager")
        await manager.goto("/")
        await manager.locator(".menu a[data-key=feedback]").click()
        card = manager.locator(f"article[data-id='{request_id}']")
        await card.wait_for()
        assert "建议停车场增加充电桩" in await card.inner_text()
        assert await card.locator(".badge.state").inner_text() == "已收到"
        assert await card.get_by_role("button", name="已采纳").count() == 0, "a decision comes after consideration"

        await card.locator("textarea[name=note]").fill("下周例会讨论")
        await card.get_by_role("button", name="考虑中").click()
        considered = manager.locator(f"article[data-id='{request_id}'][data-state='under_consideration']")
        await considered.wait_for()
        assert "下周例会讨论" in await considered.locator(".history").inner_text()
        assert "采纳或不采纳时必填" in await considered.inner_text()

        await considered.locator("textarea[name=reply]").fill("下月起在地下停车场 B 区安装 4 个充电桩")
        await console.shoot(manager, "suggestions")
        await considered.get_by_role("button", name="已采纳").click()
        adopted = manager.locator(f"article[data-id='{request_id}'][data-state='adopted']")
        await adopted.wait_for()
        assert await adopted.locator(".badge.state").inner_text() == "已采纳"
        assert "下月起在地下停车场 B 区安装 4 个充电桩" in await adopted.locator(".reply").inner_text()
        assert await adopted.locator("form.follow-up").count() == 0, "a decision is final"

        shown = await feedback.held("suggestions", request_id)
        assert shown["state"] == "adopted"
        assert shown["reply"] == "下月起在地下停车场 B 区安装 4 个充电桩"
        assert [h["state"] for h in shown["history"]] == ["under_consideration", "adopted"]


async def test_a_refused_follow_up_shows_dispatchs_problem_and_keeps_what_was_typed(console, system):
    async with Feedback(system) as feedback:
        request_id = await feedback.log("C-0802", "建议中庭周末增加儿童活动", "suggestion")
        await feedback.held("suggestions", request_id)
        manager = await console.page_as("demo-manager")
        await manager.goto("/feedback?state=received")
        card = manager.locator(f"article[data-id='{request_id}']")
        await card.wait_for()
        # Meanwhile another lead took it up.
        await feedback.follow_up(request_id, {"state": "under_consideration"})

        await card.locator("textarea[name=note]").fill("与市场部商量")
        await card.get_by_role("button", name="考虑中").click()
        problem = manager.locator(f"article[data-id='{request_id}'] .problem")
        await problem.wait_for()
        assert "under_consideration" in await problem.inner_text()
        assert await manager.locator(f"article[data-id='{request_id}'] textarea[name=note]").input_value() == "与市场部商量"


async def test_the_praise_tab_shows_the_praise_each_department_received(console, system):
    async with Feedback(system) as feedback:
        request_id = await feedback.log("B-1201", "感谢保安小王帮我搬货", "praise")
        praise = await feedback.held("praise", request_id)
    manager = await console.page_as("demo-manager")
    await manager.goto("/feedback")
    await manager.get_by_role("link", name="表扬", exact=True).click()
    section = manager.locator(f"section.praise[data-department='{praise['department']}']")
    row = section.locator(f"tr[data-id='{request_id}']")
    await row.wait_for()
    assert "感谢保安小王帮我搬货" in await row.inner_text() and "B-1201" in await row.inner_text()
    assert praise["department"] == "security" and "安保部" in await section.locator("h2").inner_text()
    await console.shoot(manager, "praise")

    await manager.locator("select[name=department]").select_option("cleaning")
    await manager.wait_for_url("**department=cleaning**")
    assert await manager.locator(f"tr[data-id='{request_id}']").count() == 0
