"""Clerks at the counter and on the phone doing the same thing at the same moment during
the move-in surge: a unit gets one handover appointment, a day never takes more than its
capacity, a unit has one open renovation permit, a permit takes each step once, and every loser gets the answer a request a
moment later would have got (never a 500). Requests really overlap: intake is served on
the test's own event loop (see intake_fixtures.served). Several rounds, since each round
is one chance for the requests to interleave badly."""

from __future__ import annotations

import asyncio
import datetime as dt

from intake_fixtures import intake_settings, served, wait_for_events  # noqa: F401  (intake_settings: the fixture)
from tests.support.harness import as_actor

HANDOVER = "/v1/plazas/p1/handover"
RENOVATIONS = "/v1/plazas/p1/renovations"
UNITS = tuple(f"D-{n:02d}" for n in range(1, 9))
ROUNDS = 5


def day(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=30 + n)).isoformat()


def book(intake, unit: str, date: str, **headers):
    body = {"unit": unit, "date": date, "contact": {"name": "王女士", "phone": "137"}}
    return intake.post(f"{HANDOVER}/appointments", json=body, headers=headers)


def no_server_errors(answers) -> None:
    assert [r.status_code for r in answers].count(500) == 0, [r.text for r in answers if r.status_code >= 500]


async def booked(intake, **params) -> list[dict]:
    r = await intake.get(f"{HANDOVER}/appointments", params={"status": "booked", "limit": 500, **params})
    return r.json()["items"]


async def cancel_all(intake, winners) -> None:
    for r in winners:
        cancelled = await intake.post(f"{HANDOVER}/appointments/{r.json()['id']}/cancel", json={"reason": "next round"})
        assert cancelled.status_code == 200, cancelled.text


async def test_two_clerks_booking_one_unit_at_once_give_it_one_appointment(intake_settings, bus):
    async with served(intake_settings, bus, UNITS) as intake:
        assert (await intake.put(f"{HANDOVER}/capacity", json={"per_day": 100})).status_code == 200
        for n in range(ROUNDS):
            # Even rounds: both clerks pick the same day; odd rounds: each a different one.
            first, second = day(2 * n), day(2 * n + n % 2)
            answers = await asyncio.gather(*(book(intake, unit, date) for unit in UNITS for date in (first, second)))

            no_server_errors(answers)
            for unit, pair in zip(UNITS, (answers[i:i + 2] for i in range(0, len(answers), 2))):
                # The one a moment later is told, as it is when it comes sequentially.
                assert sorted(r.status_code for r in pair) == [201, 409], (n, unit, [r.text for r in pair])
                [won] = [r.json() for r in pair if r.status_code == 201]
                [lost] = [r.json() for r in pair if r.status_code == 409]
                assert lost["field"] == "unit" and "already has a handover appointment" in lost["detail"], lost
                assert won["id"] in lost["detail"]
                assert [a["id"] for a in await booked(intake, unit=unit)] == [won["id"]]
            days = [(await intake.get(f"{HANDOVER}/days/{d}")).json()["booked"] for d in {first, second}]
            assert sum(days) == len(UNITS), (n, days)
            await cancel_all(intake, [r for r in answers if r.status_code == 201])


async def test_clerks_booking_at_once_never_overfill_a_day(intake_settings, bus):
    async with served(intake_settings, bus, UNITS) as intake:
        assert (await intake.put(f"{HANDOVER}/capacity", json={"per_day": 2})).status_code == 200
        for n in range(ROUNDS):
            answers = await asyncio.gather(*(book(intake, unit, day(n)) for unit in UNITS))

            no_server_errors(answers)
            assert sorted(r.status_code for r in answers) == [201] * 2 + [409] * (len(UNITS) - 2), (n, [r.text for r in answers])
            assert {r.json()["field"] for r in answers if r.status_code == 409} == {"date"}
            shown = (await intake.get(f"{HANDOVER}/days/{day(n)}")).json()
            assert shown == {"date": day(n), "capacity": 2, "booked": 2, "remaining": 0}, n
            assert len(await booked(intake, date=day(n))) == 2
            await cancel_all(intake, [r for r in answers if r.status_code == 201])


async def test_a_booking_sent_twice_at_once_with_one_key_books_once_and_answers_both_alike(intake_settings, bus):
    async with served(intake_settings, bus, UNITS) as intake:
        for n in range(ROUNDS):
            answers = await asyncio.gather(*(
                book(intake, unit, day(n), **{"Idempotency-Key": f"k-{n}-{unit}"}) for unit in UNITS for _ in range(2)
            ))

            no_server_errors(answers)
            for unit, pair in zip(UNITS, (answers[i:i + 2] for i in range(0, len(answers), 2))):
                # The second is a replay of the first, as it is when it comes a moment later.
                assert [r.status_code for r in pair] == [201, 201], (n, unit, [r.text for r in pair])
                assert pair[0].json() == pair[1].json()
                assert [a["id"] for a in await booked(intake, unit=unit)] == [pair[0].json()["id"]]
            assert (await intake.get(f"{HANDOVER}/days/{day(n)}")).json()["booked"] == len(UNITS)
            await cancel_all(intake, answers[::2])


APPLICATION = {
    "contractor": "Meijia Decoration", "start": day(0), "end": day(1), "deposit_fen": 500_000,
    "description": "新铺地板", "workers": [{"name": "张三"}],
}


async def test_two_clerks_applying_for_one_unit_at_once_open_one_permit(intake_settings, bus):
    async with served(intake_settings, bus, UNITS) as intake:
        for n in range(ROUNDS):
            answers = await asyncio.gather(*(
                intake.post(RENOVATIONS, json={**APPLICATION, "unit": unit}) for unit in UNITS for _ in range(2)
            ))

            no_server_errors(answers)
            for unit, pair in zip(UNITS, (answers[i:i + 2] for i in range(0, len(answers), 2))):
                # The one a moment later is told about the first, as it is when it comes sequentially.
                assert sorted(r.status_code for r in pair) == [201, 409], (n, unit, [r.text for r in pair])
                [won] = [r.json() for r in pair if r.status_code == 201]
                [lost] = [r.json() for r in pair if r.status_code == 409]
                assert lost["field"] == "unit" and won["id"] in lost["detail"], lost
                shown = (await intake.get(RENOVATIONS, params={"unit": unit, "status": "applied"})).json()["items"]
                assert [p["id"] for p in shown] == [won["id"]]
                rejected = await intake.post(f"{RENOVATIONS}/{won['id']}/review", json={"decision": "reject"})
                assert rejected.status_code == 200, rejected.text  # the next round applies afresh


async def test_two_clerks_stepping_one_permit_at_once_step_it_once(intake_settings, bus):
    async with served(intake_settings, bus, UNITS) as intake:
        for n in range(ROUNDS):
            urls = []
            for unit in UNITS:
                applied = await intake.post(RENOVATIONS, json={**APPLICATION, "unit": unit})
                url = f"{RENOVATIONS}/{applied.json()['id']}"
                assert (await intake.post(f"{url}/review", json={"decision": "approve"})).status_code == 200
                urls.append(url)
            answers = await asyncio.gather(*(
                intake.post(f"{url}/approve", json={}, headers=as_actor(clerk)) for url in urls for clerk in ("zhao", "qian")
            ))

            no_server_errors(answers)
            for url, pair in zip(urls, (answers[i:i + 2] for i in range(0, len(answers), 2))):
                assert sorted(r.status_code for r in pair) == [200, 409], (n, [r.text for r in pair])
                [lost] = [r.json() for r in pair if r.status_code == 409]
                assert lost["field"] == "status" and "is approved" in lost["detail"], lost
                shown = (await intake.get(url)).json()
                assert [h["status"] for h in shown["history"]] == ["applied", "reviewed", "approved"]
            for url in urls:  # a unit has one open permit: the next round's application needs it closed
                for step, body in (("final-inspection", {"passed": True}), ("close", {})):
                    assert (await intake.post(f"{url}/{step}", json=body)).status_code == 200
        approvals = ROUNDS * len(UNITS)
        assert len(await wait_for_events(bus, "RenovationApproved", approvals)) == approvals
