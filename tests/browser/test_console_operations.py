"""The operations page in Chromium, for the operator: an event no service could read is
there with its reason; discarding asks why; a replay puts it back on its subject (still
unreadable, it is parked again); both are in the audit trail. Nobody else sees the page."""

from __future__ import annotations

import asyncio
import json

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

    await discard_with_a_reason(operator, f"#letter-{seq}", "#needs-reason", "传输中被截断的测试消息")
    audit = operator.locator("table.audit")

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


async def test_the_operator_reads_and_discards_an_event_set_aside(console, system):
    """An event intake could not publish (set aside by its relay) is on the page with its
    reason; its page shows it whole; discarding asks why and is in the audit trail."""
    from libs.contracts import new_event_id, utcnow
    from libs.runtime.db import Database
    from services.intake import tables

    event_id = new_event_id()
    event = {"id": event_id, "type": "RequestReceived", "plaza_id": "demo", "text": "超大附件的测试请求"}
    db = Database(f"sqlite:///{system.data_dir}/intake.db")
    try:
        async with db.write() as conn:
            await conn.execute(tables.metadata.tables["failed_events"].insert().values(
                event_id=event_id, event_type="RequestReceived", subject="plazadesk.intake.demo.request.received",
                payload=json.dumps(event, ensure_ascii=False).encode(), created_at=utcnow(), failed_at=utcnow(),
                reason="event is 9000000 bytes; the NATS server takes at most 8388608 (max_payload)"))
    finally:
        await db.dispose()

    operator = await console.page_as(None)
    await sign_in(operator, "operator", system.operator_password())
    await operator.goto("/operations")
    row = operator.locator(f"#set-aside-{event_id}")
    assert "max_payload" in await row.inner_text()
    await row.get_by_role("link", name="RequestReceived").click()
    await operator.get_by_text("超大附件的测试请求").wait_for()
    await operator.goto("/operations")

    await discard_with_a_reason(operator, f"#set-aside-{event_id}", "#set-aside-needs-reason", "测试用的搁置事件")
    await console.shoot(operator, "operations-set-aside")


async def discard_with_a_reason(operator, row_id: str, needs_reason: str, reason: str) -> None:
    """Discard is refused without a reason; with one, the row is gone and the audit trail has it."""
    await operator.locator(row_id).get_by_role("button", name="丢弃").click()
    await operator.locator(needs_reason).wait_for()
    row = operator.locator(row_id)
    await row.get_by_label("丢弃原因").fill(reason)
    await row.get_by_role("button", name="丢弃").click()
    await operator.locator("#done").wait_for()
    assert await operator.locator(row_id).count() == 0
    await operator.locator("table.audit").get_by_text(reason).wait_for()
