"""A mixed message (a complaint or a repair that also thanks someone) becomes two records
in one transaction: the job and a praise record pointing at each other, two
RequestReceived events, one answer naming both; a clerk may keep it one."""

from __future__ import annotations

import pytest

from intake_fixtures import intake, wait_for_events  # noqa: F401  (intake: the fixture)
from tests.support.harness import eventually

URL = "/v1/plazas/p1/requests"
MIXED = "投诉电梯又坏了，不过谢谢保安小王帮忙搬货"


@pytest.mark.parametrize("key", [None, "mixed-1"], ids=["published", "with-a-key"])
async def test_a_complaint_with_thanks_becomes_the_job_and_a_praise_record(intake, bus, key):
    headers = {"Idempotency-Key": key} if key else {}
    r = await intake.post(URL, headers=headers, json={"channel": "phone", "unit": "B-101", "text": MIXED})
    assert r.status_code == 202, r.text
    answer = r.json()
    [also] = answer["also"]
    assert (answer["kind"], also["kind"]) == ("complaint", "praise")

    events = {e.request_id: e for e in await wait_for_events(bus, "RequestReceived", 2)}
    job, thanks = events[answer["id"]], events[also["id"]]
    assert (job.kind, job.mixed_with, job.unit) == ("complaint", also["id"], "B-101")
    assert (thanks.kind, thanks.mixed_with, thanks.unit, thanks.praised_department) == ("praise", answer["id"], "B-101", "security")
    assert (thanks.serviceable, thanks.major, thanks.text) == (True, False, MIXED)

    shown = {i: (await intake.get(f"{URL}/{i}")).json() for i in (answer["id"], also["id"])}
    assert shown[answer["id"]]["mixed_with"] == also["id"] and shown[also["id"]]["mixed_with"] == answer["id"]

    if key:
        again = await intake.post(URL, headers=headers, json={"channel": "phone", "unit": "B-101", "text": MIXED})
        assert (again.status_code, again.json()) == (202, answer)

    async def listed():
        items = (await intake.get(URL, params={"unit": "B-101"})).json()["items"]
        return items if len(items) >= 2 else None

    items = await eventually(listed, what="both records on the list")
    assert sorted(i["kind"] for i in items) == ["complaint", "praise"]  # a replay added nothing


async def test_a_clerk_keeps_a_mixed_message_one_record(intake, bus):
    r = await intake.post(URL, json={"channel": "phone", "unit": "B-102", "text": MIXED, "split": False})
    assert r.status_code == 202 and "also" not in r.json()
    [event] = await wait_for_events(bus, "RequestReceived", 1, request_id=r.json()["id"])
    assert event.mixed_with is None and event.kind == "complaint"


async def test_a_service_the_clerk_names_with_thanks_splits_and_plain_praise_does_not(intake, bus):
    service = await intake.post(URL, json={"channel": "visit", "unit": "B-103", "kind": "service",
                                           "text": "thank you to the cleaner, but the door is broken"})
    praise = await intake.post(URL, json={"channel": "visit", "unit": "B-103", "text": "thank you to the cleaner"})
    assert [a["kind"] for a in service.json()["also"]] == ["praise"]
    assert "also" not in praise.json()
    events = await wait_for_events(bus, "RequestReceived", 3)
    assert sorted(e.kind for e in events) == ["praise", "praise", "service"]
