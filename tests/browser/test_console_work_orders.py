"""The work-order queue and a work order's page in Chromium: a new request appears in the
queue without a reload; the engineer starts and resolves a job with a material from stock,
the desk closes it; another department's job is not found for the engineer."""

from __future__ import annotations

import pytest

from tests.support.console_jobs import Jobs
from tests.support.harness import eventually

pytestmark = pytest.mark.browser


async def test_a_new_request_appears_in_the_queue_without_a_reload(console, system):
    page = await console.page_as("demo-clerk")
    await page.goto("/work-orders")
    await page.get_by_role("heading", name="工单").wait_for()
    await page.evaluate("window.stillTheSamePage = true")
    async with Jobs(system) as jobs:
        request_id = await jobs.report("A-101", "A-101 门口的灯不亮了")
        row = page.locator(f"tr[data-request='{request_id}']")
        await row.wait_for()
    assert await page.evaluate("window.stillTheSamePage === true"), "the row came without a reload"
    assert "A-101 门口的灯不亮了" in await row.inner_text()
    assert "工程部" in await row.inner_text() and "待派工" in await row.inner_text()
    await console.shoot(page, "work-orders")


async def test_the_engineer_resolves_with_a_material_from_stock_and_the_desk_closes(console, system):
    async with Jobs(system) as jobs:
        await jobs.stock_item("PPR-20", "PPR 水管 20mm", 1250, 40)
        order = await jobs.work_order_of(await jobs.report("A-305", "A-305 卫生间水管漏水"))
        await jobs.assign(order["id"], "demo-engineer")

        engineer = await console.page_as("demo-engineer")
        await engineer.goto(f"/work-orders/{order['id']}")
        await engineer.locator("form[data-action=start] button").click()
        await engineer.locator("[data-testid=status]", has_text="处理中").wait_for()

        resolve = engineer.locator("form[data-action=resolve]")
        await resolve.get_by_label("是").check()
        await resolve.locator("input[name=labour_yuan]").fill("50")
        await resolve.locator("select[name=sku]").first.select_option("PPR-20")
        await resolve.locator("input[name=quantity]").first.fill("2")
        await resolve.locator("textarea[name=note]").fill("换了一段水管")
        await console.shoot(engineer, "work-order")
        await resolve.get_by_role("button", name="完工").click()
        await engineer.locator("[data-testid=status]", has_text="已完工").wait_for()
        assert "¥50.00" in await engineer.locator("#work-order").inner_text()

        done = await jobs.work_order(order["id"])
        assert done["paid"] is True and done["labour_fen"] == 5000
        assert [(m["sku"], m["quantity"]) for m in done["materials"]] == [("PPR-20", 2)]

        clerk = await console.page_as("demo-clerk")
        await clerk.goto(f"/work-orders/{order['id']}")
        assert await clerk.locator("form[data-action=resolve]").count() == 0, "the desk does not resolve"
        await clerk.locator("form[data-action=close] button").click()
        await clerk.locator("[data-testid=status]", has_text="已关闭").wait_for()
        assert (await jobs.work_order(order["id"]))["status"] == "closed"


async def test_a_refused_assignment_is_shown_at_its_form_with_what_was_typed(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("C-0802", "C-0802 空调不制冷"))
    clerk = await console.page_as("demo-clerk")
    await clerk.goto(f"/work-orders/{order['id']}")
    assign = clerk.locator("form[data-action=assign]")
    await assign.locator("input[name=assignee]").fill("nobody-here")
    await assign.get_by_role("button", name="派工").click()
    problem = clerk.locator("form[data-action=assign] .problem")
    await problem.wait_for()
    assert "assignee" in await problem.inner_text()
    assert await clerk.locator("form[data-action=assign] input[name=assignee]").input_value() == "nobody-here"


async def test_the_engineer_cannot_open_another_departments_job(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("B-1201", "投诉：B-1201 门口保安态度差"))
    assert order["department"] == "security"
    engineer = await console.page_as("demo-engineer")
    answer = await engineer.goto(f"/work-orders/{order['id']}")
    assert answer.status == 404
    await engineer.get_by_role("heading", name="未找到").wait_for()
    await engineer.goto("/work-orders")
    await engineer.get_by_role("heading", name="工单").wait_for()
    assert await engineer.locator(f"tr[data-id='{order['id']}']").count() == 0
    departments = await engineer.locator("select[name=department] option").all_inner_texts()
    assert departments == ["工程部"], "department staff are offered their own department only"


async def test_the_supervisor_assigns_from_the_departments_active_staff_and_cancels_with_a_reason(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("C-0802", "C-0802 空调外机漏水"))
        await jobs.assign(order["id"], "demo-engineer")  # once dispatch knows the engineer
    supervisor = await console.page_as("demo-supervisor")
    await supervisor.goto(f"/work-orders/{order['id']}")
    assign = supervisor.locator("form[data-action=assign]")
    options = await assign.locator("select[name=assignee] option").all_inner_texts()
    assert any("张伟" in o for o in options), "the engineering department's active staff by name"
    assert not any("李静" in o for o in options), "not another department's"
    await assign.locator("select[name=assignee]").select_option("demo-engineer")
    await assign.get_by_role("button", name="派工").click()
    await supervisor.locator("[data-testid=assignee]", has_text="demo-engineer").wait_for()

    cancel = supervisor.locator("form[data-action=cancel]")
    await cancel.locator("input[name=reason]").fill("商户已自行修好")
    await cancel.get_by_role("button", name="撤销工单").click()
    await supervisor.locator("[data-testid=status]", has_text="已取消").wait_for()
    assert "商户已自行修好" in await supervisor.locator("#work-order").inner_text()
    assert await supervisor.locator("form.action:not([data-action=reclassify])").count() == 0, \
        "nothing more to do on a cancelled job but correct what its request was"


async def test_an_action_on_a_page_gone_stale_shows_the_services_refusal(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("A-305", "A-305 走廊的灯不亮"))
        await jobs.assign(order["id"], "demo-engineer")
        engineer = await console.page_as("demo-engineer")
        await engineer.goto(f"/work-orders/{order['id']}")
        await jobs.act(order["id"], "start")  # meanwhile, from the department's own system
        await engineer.locator("form[data-action=start] button").click()
    problem = engineer.locator(".actions .problem[data-status='409']")
    await problem.wait_for()
    assert "in_progress" in await problem.inner_text()
    await engineer.locator("[data-testid=status]", has_text="处理中").wait_for()
    assert await engineer.locator("form[data-action=resolve]").count() == 1, "the page shows what is possible now"


async def test_the_desk_sends_a_job_elsewhere_and_corrects_its_request_into_a_major_complaint(console, system):
    async with Jobs(system) as jobs:
        order = await jobs.work_order_of(await jobs.report("A-305", "A-305 门口的灯不亮了"))
        assert order["department"] == "engineering"
        clerk = await console.page_as("demo-clerk")
        await clerk.goto(f"/work-orders/{order['id']}")

        reroute = clerk.locator("form[data-action=reroute]")
        await reroute.locator("select[name=department]").select_option("cleaning")
        await reroute.locator("input[name=reason]").fill("灯罩里积了水和灰，保洁先清理")
        await reroute.get_by_role("button", name="改派").click()
        await clerk.get_by_test_id("department").filter(has_text="保洁部").wait_for()
        assert (await jobs.work_order(order["id"]))["department"] == "cleaning"

        correct = clerk.locator("form[data-action=reclassify]")
        await correct.locator("select[name=kind]").select_option("complaint")
        await correct.locator("select[name=severity]").select_option("major")
        await correct.locator("input[name=reason]").fill("商户说摔倒受伤了，要投诉")
        await correct.get_by_role("button", name="更正").click()
        await clerk.wait_for_url(f"**/work-orders/{order['id']}")

        async def flagged():
            job = await jobs.work_order(order["id"])
            return job if job["kind"] == "complaint" and job["major"] else None
        job = await eventually(flagged, timeout=30, what="dispatch to follow the correction")
        assert job["department"] == "cleaning", "the desk's choice of department stands"
        await clerk.reload()
        await clerk.get_by_test_id("kind").filter(has_text="投诉").wait_for()
