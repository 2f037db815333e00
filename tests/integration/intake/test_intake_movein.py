"""Move-in season through intake's public API: handover appointments with a daily
capacity, inspections whose defects go out on the stream, and renovation permits from
application to close. Every POST honours Idempotency-Key."""

from __future__ import annotations

import datetime as dt

import pytest

from intake_fixtures import intake, intake_events, wait_for_events  # noqa: F401  (intake: the fixture)
from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from tests.support.harness import as_actor, eventually
from services.intake.movein import services as services_movein

HANDOVER = "/v1/plazas/p1/handover"
RENOVATIONS = "/v1/plazas/p1/renovations"
DAY = (dt.date.today() + dt.timedelta(days=30)).isoformat()
NEXT_DAY = (dt.date.today() + dt.timedelta(days=31)).isoformat()
DEFECTS = [
    {"description": "卫生间墙面渗水", "location": "bathroom", "responsible_party": "Huajian Construction"},
    {"description": "window does not close", "location": "bedroom", "responsible_party": "Sunshine Windows Ltd"},
    {"description": "地砖空鼓", "responsible_party": "Huajian Construction"},
]
APPLICATION = {
    "unit": "B-101", "contractor": "Meijia Decoration", "start": DAY, "end": NEXT_DAY,
    "deposit_fen": 500_000, "description": "新铺地板，改水电",
    "workers": [{"name": "张三", "id_number": "110101199001011234", "phone": "13900000001"}, {"name": "李四"}],
}


def book(intake, unit, date=DAY, **headers):
    return intake.post(f"{HANDOVER}/appointments", json={"unit": unit, "date": date, "contact": {"name": "王女士", "phone": "137"}}, headers=headers)


async def test_daily_capacity_is_enforced_and_a_cancel_frees_the_slot(intake):
    put = await intake.put(f"{HANDOVER}/capacity", json={"per_day": 2, "by_date": {NEXT_DAY: 1}})
    assert put.status_code == 200 and put.json()["per_day"] == 2 and put.json()["source"] == "plaza"

    first, second = await book(intake, "A-203"), await book(intake, "B-101")
    assert first.status_code == second.status_code == 201 and first.json()["status"] == "booked"
    full = await book(intake, "B-102")
    assert full.status_code == 409 and full.json()["field"] == "date" and DAY in full.json()["detail"]
    assert (await intake.get(f"{HANDOVER}/days/{DAY}")).json() == {"date": DAY, "capacity": 2, "booked": 2, "remaining": 0}

    twice = await book(intake, "A-203", NEXT_DAY)
    assert twice.status_code == 409 and twice.json()["field"] == "unit"
    assert (await book(intake, "B-102", NEXT_DAY)).status_code == 201
    assert (await book(intake, "B-103", NEXT_DAY)).status_code == 409  # that day takes one

    cancelled = await intake.post(f"{HANDOVER}/appointments/{first.json()['id']}/cancel", json={"reason": "owner abroad"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await book(intake, "B-103")).status_code == 201
    listed = (await intake.get(f"{HANDOVER}/appointments", params={"date": DAY, "status": "booked"})).json()["items"]
    assert sorted(i["unit"] for i in listed) == ["B-101", "B-103"]

    again = await intake.post(f"{HANDOVER}/appointments/{first.json()['id']}/cancel", json={})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


async def test_a_booking_needs_a_known_unit_and_a_day_not_past(intake):
    unknown = await book(intake, "Z-999")
    assert unknown.status_code == 422 and unknown.json()["field"] == "unit"
    past = await book(intake, "A-203", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert past.status_code == 422 and past.json()["field"] == "date"


def clock_at(monkeypatch, at: dt.datetime) -> None:
    monkeypatch.setattr(services_movein, "now", lambda: at)


async def test_past_means_past_where_the_plaza_is_at_2330_utc_it_is_tomorrow_in_shanghai(intake, monkeypatch):
    clock_at(monkeypatch, dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))  # 07:30 on 2 March in Shanghai
    yesterday = await book(intake, "A-203", "2026-03-01")
    assert yesterday.status_code == 422 and yesterday.json()["field"] == "date", yesterday.text
    assert "2026-03-01 is in the past" in yesterday.json()["detail"]
    today = await book(intake, "A-203", "2026-03-02")
    assert today.status_code == 201 and today.json()["date"] == "2026-03-02"


async def test_a_plaza_west_of_utc_can_still_book_its_own_today(intake, bus, monkeypatch):
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="tz", name="Plaza One", timezone="America/New_York"))
    await bus.publish(UnitRegistered(plaza_id="p1", correlation_id="tz", unit="C-1", revision=1, area_m2=60.0, use="shop",
                                     occupant=Occupant(name="Zhao Lei", kind="merchant", phone="136")))

    async def c1_known():  # archive's events are applied in order: the zone came first
        r = await intake.post("/v1/plazas/p1/requests", json={"channel": "internal", "unit": "C-1", "text": " "})
        return r.json().get("field") == "text"

    await eventually(c1_known, what="intake to learn the plaza's zone and unit C-1")
    clock_at(monkeypatch, dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))  # 21:00 on 1 March in New York
    today = await book(intake, "C-1", "2026-03-01")
    assert today.status_code == 201, today.text
    yesterday = await book(intake, "A-203", "2026-02-28")
    assert yesterday.status_code == 422 and yesterday.json()["field"] == "date"


async def test_an_inspection_with_three_defects_is_one_event_with_three_defects(intake, bus):
    appointment = (await book(intake, "B-102")).json()
    r = await intake.post(
        f"{HANDOVER}/appointments/{appointment['id']}/inspection",
        json={"accepted": True, "defects": DEFECTS}, headers=as_actor("eng-sun"),
    )
    assert r.status_code == 201, r.text
    inspection = r.json()
    assert [d["description"] for d in inspection["defects"]] == [d["description"] for d in DEFECTS]
    assert len({d["defect_id"] for d in inspection["defects"]}) == 3

    [event] = await wait_for_events(bus, "HandoverInspected", 1, unit="B-102")
    assert event.inspection_id == inspection["id"] and event.appointment_id == appointment["id"]
    assert event.accepted and event.inspector == "eng-sun"
    assert [(d.defect_id, d.responsible_party, d.department) for d in event.defects] == [
        (d["defect_id"], d["responsible_party"], "engineering") for d in inspection["defects"]
    ]

    shown = (await intake.get(f"{HANDOVER}/appointments/{appointment['id']}")).json()
    assert shown["status"] == "inspected" and len(shown["inspection"]["defects"]) == 3
    twice = await intake.post(f"{HANDOVER}/appointments/{appointment['id']}/inspection", json={"accepted": True})
    assert twice.status_code == 409 and "inspected" in twice.json()["detail"]


async def test_a_defect_without_a_responsible_party_is_refused(intake):
    appointment = (await book(intake, "B-103")).json()
    r = await intake.post(
        f"{HANDOVER}/appointments/{appointment['id']}/inspection",
        json={"accepted": False, "defects": [DEFECTS[0], {"description": "crack", "responsible_party": " "}]},
    )
    assert r.status_code == 422 and r.json()["field"] == "defects[1].responsible_party"
    assert (await intake.get(f"{HANDOVER}/appointments/{appointment['id']}")).json()["status"] == "booked"


async def test_a_renovation_walks_from_application_to_close(intake, bus):
    applied = await intake.post(RENOVATIONS, json=APPLICATION, headers=as_actor("clerk-wang"))
    assert applied.status_code == 201 and applied.json()["status"] == "applied"
    url = f"{RENOVATIONS}/{applied.json()['id']}"

    too_soon = await intake.post(f"{url}/approve", json={})
    assert too_soon.status_code == 409 and "is applied" in too_soon.json()["detail"] and too_soon.json()["field"] == "status"

    steps = [
        ("review", {"decision": "approve", "note": "图纸齐全"}, "reviewed"),
        ("approve", {}, "approved"),
        ("final-inspection", {"passed": False, "note": "消防喷淋被遮挡"}, "rectification_required"),
        ("final-inspection", {"passed": True, "deduction_fen": 20_000, "deduction_reason": "公共走廊地面划伤"}, "inspection_passed"),
        ("close", {}, "closed"),
    ]
    for step, body, status in steps:
        r = await intake.post(f"{url}/{step}", json=body, headers=as_actor("supervisor-zhao"))
        assert r.status_code == 200 and r.json()["status"] == status, r.text

    [approved] = await wait_for_events(bus, "RenovationApproved", 1, unit="B-101")
    assert approved.permit_id == applied.json()["id"] and approved.deposit_fen == 500_000
    assert [w.name for w in approved.workers] == ["张三", "李四"] and approved.valid_from.isoformat() == DAY
    [closed] = await wait_for_events(bus, "RenovationClosed", 1, unit="B-101")
    assert closed.deduction_fen == 20_000 and closed.deduction_reason == "公共走廊地面划伤"

    shown = (await intake.get(url)).json()
    assert [h["status"] for h in shown["history"]] == ["applied", "reviewed", "approved", "rectification_required", "inspection_passed", "closed"]
    assert shown["history"][0]["by"] == "clerk-wang" and shown["history"][2]["by"] == "supervisor-zhao"
    after = await intake.post(f"{url}/close", json={})
    assert after.status_code == 409 and "is closed" in after.json()["detail"]


async def test_a_rejected_renovation_goes_no_further(intake, bus):
    url = f"{RENOVATIONS}/{(await intake.post(RENOVATIONS, json=APPLICATION)).json()['id']}"
    rejected = await intake.post(f"{url}/review", json={"decision": "reject", "note": "拆承重墙"})
    assert rejected.json()["status"] == "rejected"
    approve = await intake.post(f"{url}/approve")
    assert approve.status_code == 409 and "is rejected" in approve.json()["detail"]
    assert (await intake.get(RENOVATIONS, params={"status": "rejected"})).json()["items"][0]["id"] == url.rsplit("/", 1)[1]
    assert await intake_events(bus, "RenovationApproved") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": (dt.date.today() + dt.timedelta(days=1)).isoformat()}, "end"),
        # Two days back: yesterday here may already be today where the plaza is.
        ({"start": (dt.date.today() - dt.timedelta(days=2)).isoformat()}, "start"),
        ({"deposit_fen": -1}, "deposit_fen"),
        ({"unit": "Z-9"}, "unit"),
    ],
)
async def test_a_bad_application_is_refused_naming_the_field(intake, change, field):
    r = await intake.post(RENOVATIONS, json={**APPLICATION, **change})
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert (await intake.get(RENOVATIONS)).json()["items"] == []


async def test_renovation_cannot_start_before_today_where_the_plaza_is(intake, monkeypatch):
    clock_at(monkeypatch, dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))  # 07:30 on 2 March in Shanghai
    yesterday = await intake.post(RENOVATIONS, json={**APPLICATION, "start": "2026-03-01", "end": "2026-03-20"})
    assert yesterday.status_code == 422 and yesterday.json()["field"] == "start", yesterday.text
    assert "2026-03-01" in yesterday.json()["detail"]
    today = await intake.post(RENOVATIONS, json={**APPLICATION, "start": "2026-03-02", "end": "2026-03-20"})
    assert today.status_code == 201 and today.json()["start"] == "2026-03-02", today.text


def renovate(intake, unit="B-101", **headers):
    return intake.post(RENOVATIONS, json={**APPLICATION, "unit": unit}, headers=headers)


async def test_a_unit_with_an_open_permit_is_refused_a_second_naming_the_open_one(intake):
    first = (await renovate(intake)).json()
    url = f"{RENOVATIONS}/{first['id']}"
    for step, body, status in [
        (None, None, "applied"),
        ("review", {"decision": "approve"}, "reviewed"),
        ("approve", {}, "approved"),
        ("final-inspection", {"passed": False}, "rectification_required"),
        ("final-inspection", {"passed": True}, "inspection_passed"),
    ]:
        if step:
            assert (await intake.post(f"{url}/{step}", json=body)).json()["status"] == status
        second = await renovate(intake)
        assert second.status_code == 409 and second.json()["field"] == "unit", (status, second.text)
        assert first["id"] in second.json()["detail"] and f"({status})" in second.json()["detail"], second.text

    assert (await renovate(intake, "B-102")).status_code == 201  # another unit is not held up
    listed = (await intake.get(RENOVATIONS, params={"unit": "B-101"})).json()["items"]
    assert [i["id"] for i in listed] == [first["id"]]


@pytest.mark.parametrize(
    "finish",
    [
        [("review", {"decision": "reject", "note": "拆承重墙"})],
        [("review", {"decision": "approve"}), ("approve", {}), ("final-inspection", {"passed": True}), ("close", {})],
    ],
    ids=["rejected", "closed"],
)
async def test_a_unit_can_apply_again_once_its_permit_is_closed_or_rejected(intake, finish):
    first = (await renovate(intake)).json()
    for step, body in finish:
        r = await intake.post(f"{RENOVATIONS}/{first['id']}/{step}", json=body)
        assert r.status_code == 200, r.text
    again = await renovate(intake)
    assert again.status_code == 201 and again.json()["status"] == "applied" and again.json()["id"] != first["id"], again.text
    refused = await renovate(intake)
    assert refused.status_code == 409 and again.json()["id"] in refused.json()["detail"]


async def test_a_replayed_application_gets_its_first_answer_not_the_open_permit_conflict(intake):
    key = {"Idempotency-Key": "apply-b101"}
    first, replay = await renovate(intake, **key), await renovate(intake, **key)
    assert first.status_code == replay.status_code == 201 and first.json() == replay.json()
    fresh = await renovate(intake)
    assert fresh.status_code == 409 and first.json()["id"] in fresh.json()["detail"]
    assert len((await intake.get(RENOVATIONS, params={"unit": "B-101"})).json()["items"]) == 1


async def test_every_new_post_replays_on_the_same_idempotency_key(intake, bus):
    key = {"Idempotency-Key": "k-1"}
    first, again = await book(intake, "A-203", **key), await book(intake, "A-203", **key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = await book(intake, "B-101", **key)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"

    inspection_url = f"{HANDOVER}/appointments/{first.json()['id']}/inspection"
    one = await intake.post(inspection_url, json={"accepted": True, "defects": DEFECTS[:1]}, headers=key)
    two = await intake.post(inspection_url, json={"accepted": True, "defects": DEFECTS[:1]}, headers=key)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()

    applied = [await intake.post(RENOVATIONS, json=APPLICATION, headers=key) for _ in range(2)]
    assert applied[0].json() == applied[1].json()
    url = f"{RENOVATIONS}/{applied[0].json()['id']}"
    await intake.post(f"{url}/review", json={"decision": "approve"}, headers=key)
    approvals = [await intake.post(f"{url}/approve", json={}, headers=key) for _ in range(2)]
    assert [a.status_code for a in approvals] == [200, 200] and approvals[0].json() == approvals[1].json()

    assert len(await wait_for_events(bus, "RenovationApproved", 1)) == 1
    assert len(await wait_for_events(bus, "HandoverInspected", 1)) == 1
    listed = (await intake.get(RENOVATIONS, params={"unit": "B-101"})).json()["items"]
    assert len(listed) == 1
