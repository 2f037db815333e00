"""The operations page in Chromium, for the operator: an event no service could read is
there with its reason; discarding asks why; a replay puts it back on its subject (still
unreadable, it is parked again); both are in the audit trail. Nobody else sees the page."""

from __future__ import annotations

import asyncio

import pytest

from tests.browser.conftest import sign_in
from tests.support.harness import Bus

pytestmark = pytest.mark.browser
SUBJECT = "plazadesk.intake.demo.request.received"


async def test_the_operator_discards_and_replays_dead_letters(console, system):
    async with Bus(system.nats_url) as bus:
        await bus.publish_raw(SUBJECT, b'{"type": "RequestReceived", "torn": tru')  # cut off on the way
    operator = await console.page_as(None)
    await sign_in(operator, "operator", system.operator_password())
    await operator.goto("/operations")
    rows = operator.locator("table.dead-letters tr[id^=letter-]", has_text="dispatch-request-received")
    for _ in range(60):  # the consumers park it within moments; the page shows what is parked now
        if await rows.count():
            break
        await asyncio.sleep(0.5)
        await operator.reload()
    row = rows.first
    assert "undecodable event" in await row.inner_text()
    seq = (await row.get_attribute("id")).removeprefix("letter-")

    await row.get_by_role("button", name="丢弃").click()  # no reason given
    await operator.locator("#needs-reason").wait_for()
    row = operator.locator(f"#letter-{seq}")
    await row.get_by_label("丢弃原因").fill("传输中被截断的测试消息")
    await row.get_by_role("button", name="丢弃").click()
    await operator.locator("#done").wait_for()
    assert await operator.locator(f"#letter-{seq}").count() == 0
    audit = operator.locator("table.audit")
    await audit.get_by_text("传输中被截断的测试消息").wait_for()

    other = operator.locator("table.dead-letters tr[id^=letter-]").first
    other_seq = (await other.get_attribute("id")).removeprefix("letter-")
    await other.get_by_label("已排除的问题").fill("重放检查")
    await other.get_by_role("button", name="重放").click()
    await operator.locator("#done").wait_for()
    assert await operator.locator(f"#letter-{other_seq}").count() == 0
    await audit.get_by_text("dead_letter_replayed").first.wait_for()
    await console.shoot(operator, "operations")

    clerk = await console.page_as("demo-clerk")
    answer = await clerk.goto("/operations")
    assert answer.status in (401, 403)
    assert await clerk.locator("nav a[href='/operations']").count() == 0
