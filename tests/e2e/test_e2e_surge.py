"""Move-in season on PostgreSQL: a thousand handover bookings and a thousand requests at
once through three intake replicas on one port (the kernel spreads the connections over
them, SO_REUSEPORT), two dispatch replicas taking the requests. No day takes more than its
capacity, no unit is booked twice, a day is refused as full only when it is, and every
request becomes exactly one work order. Each replica's own count of what it answered shows
that all three took their share. Skipped without a reachable PostgreSQL."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import sys
import time
import uuid

import httpx
import pytest

from scripts.system import SERVICES, System
from tests.support.harness import (
    PG_URL, default_headers, drop_schema, jwks_file, postgres_reachable, posts_per_replica, wait_for,
)

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not postgres_reachable(), reason="needs PostgreSQL (PLAZADESK_TEST_PG_URL)"),
              # Elsewhere SO_REUSEPORT lets the sockets share a port without spreading the connections.
              pytest.mark.skipif(sys.platform != "linux", reason="the kernel spreads connections over replicas on Linux")]
PLAZA = "surge-plaza"
BOOKINGS = REQUESTS = 1000
UNITS = [f"H-{i:04d}" for i in range(900)]  # the first hundred are booked twice
DAYS = 20
PER_DAY = 40  # 800 handovers over the days asked for, against 1,000 bookings
IN_FLIGHT = 32
INTAKE_REPLICAS = 3


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    prefix = f"surge{uuid.uuid4().hex[:8]}_"
    running = System(tmp_path_factory.mktemp("surge"), default_ports=False, env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()},
                     replicas={"intake": INTAKE_REPLICAS, "dispatch": 2}, database_url=PG_URL,
                     database_schema_prefix=prefix)
    try:
        yield running.start(timeout=120)
    finally:
        running.stop()

        async def drop() -> None:
            for service in SERVICES:
                await drop_schema(f"{prefix}{service}")
        asyncio.run(drop())


@pytest.fixture(scope="module")
def plaza(system):
    with httpx.Client(timeout=30, headers=default_headers()) as http:
        archive, intake = system.url("archive"), system.url("intake")
        assert http.put(f"{archive}/v1/plazas/{PLAZA}", json={"name": "Surge Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
        register = "unit,area_m2,use,occupant_name,occupant_kind\n" + "".join(f"{u},90,residence,业主,resident\n" for u in UNITS)
        r = http.post(f"{archive}/v1/plazas/{PLAZA}/units/import", content=register.encode(), headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        # An empty text is refused only once the unit is known, by whichever replica answers.
        for _ in range(INTAKE_REPLICAS * 3):
            wait_for(lambda: httpx.post(f"{intake}/v1/plazas/{PLAZA}/requests", headers=default_headers(), json={
                "channel": "phone", "unit": UNITS[-1], "text": " "}).json().get("field") == "text", "intake to learn the units")
        r = http.put(f"{intake}/v1/plazas/{PLAZA}/handover/capacity", json={"per_day": PER_DAY})
        assert r.status_code == 200, r.text
        wait_for(lambda: http.get(f"{system.url('dispatch')}/v1/plazas/{PLAZA}/work-orders").status_code == 200,
                 "dispatch to learn the plaza")
    return PLAZA


def answered_per_replica(system) -> dict[int, int]:
    return posts_per_replica(system.url("intake"), INTAKE_REPLICAS, default_headers())


def days() -> list[str]:
    return [(dt.date.today() + dt.timedelta(days=10 + n)).isoformat() for n in range(DAYS)]


async def surge(system) -> tuple[list[tuple[dict, httpx.Response]], list[httpx.Response]]:
    """Bookings and requests interleaved, each on a new connection (as a thousand clerks'
    and merchants' browsers would be)."""
    intake = f"{system.url('intake')}/v1/plazas/{PLAZA}"
    wanted = days()
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=0)
    gate = asyncio.Semaphore(IN_FLIGHT)
    bookings, requests = [], []
    async with httpx.AsyncClient(timeout=60, headers=default_headers(), limits=limits) as http:
        async def book(i: int) -> None:
            body = {"unit": UNITS[i % len(UNITS)], "date": wanted[(i * 7) % DAYS], "contact": {"name": "业主", "phone": "139"}}
            async with gate:
                bookings.append((body, await http.post(f"{intake}/handover/appointments", json=body)))

        async def call(i: int) -> None:
            async with gate:
                requests.append(await http.post(f"{intake}/requests", headers={"Idempotency-Key": f"surge-{i}"}, json={
                    "channel": "phone", "unit": UNITS[(i * 13) % len(UNITS)], "text": "the kitchen tap leaks"}))

        await asyncio.gather(*(f(i) for i in range(BOOKINGS) for f in (book, call)))
    return bookings, requests


def all_pages(http: httpx.Client, url: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = http.get(url, params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def test_a_move_in_surge_through_three_intake_replicas(system, plaza):
    before = answered_per_replica(system)
    started = time.monotonic()
    bookings, requests = asyncio.run(surge(system))
    took = time.monotonic() - started
    after = answered_per_replica(system)

    # Bookings: each answered as one at a quiet moment would be (booked, or the unit's or the day's refusal).
    statuses = collections.Counter(r.status_code for _, r in bookings)
    assert set(statuses) <= {201, 409}, [r.text for _, r in bookings if r.status_code not in (201, 409)][:3]
    refused = collections.Counter(r.json()["field"] for _, r in bookings if r.status_code == 409)
    assert set(refused) <= {"unit", "date"}, refused
    with httpx.Client(timeout=30, headers=default_headers()) as http:
        intake = f"{system.url('intake')}/v1/plazas/{plaza}"
        booked = all_pages(http, f"{intake}/handover/appointments", status="booked")
        assert sorted(a["id"] for a in booked) == sorted(r.json()["id"] for _, r in bookings if r.status_code == 201)
        per_unit = collections.Counter(a["unit"] for a in booked)
        assert set(per_unit.values()) == {1}, [u for u, n in per_unit.items() if n > 1][:5]
        assert {b["unit"] for b, r in bookings if r.status_code == 409 and r.json()["field"] == "unit"} <= set(per_unit)
        per_day = collections.Counter(a["date"] for a in booked)
        full = {b["date"] for b, r in bookings if r.status_code == 409 and r.json()["field"] == "date"}
        for day in days():
            shown = http.get(f"{intake}/handover/days/{day}").json()
            assert shown["booked"] == per_day[day] <= PER_DAY, (day, shown, per_day[day])
            if day in full:  # refused as full only when it was
                assert per_day[day] == PER_DAY, (day, per_day[day])

        # Requests: each accepted, each one work order (two dispatch replicas take them).
        assert [r.status_code for r in requests].count(202) == REQUESTS, collections.Counter(r.status_code for r in requests)
        ids = {r.json()["id"] for r in requests}
        dispatch = f"{system.url('dispatch')}/v1/plazas/{plaza}/work-orders"
        wait_for(lambda: len(all_pages(http, dispatch)) >= REQUESTS, "a work order for every request", timeout=120)
        per_request = collections.Counter(o["request_id"] for o in all_pages(http, dispatch))
        assert set(per_request) == ids and set(per_request.values()) == {1}

    # The kernel spread the connections: every replica answered a share of the surge.
    assert set(after) == set(before) == {proc.pid for name, proc in system.procs.items() if name.startswith("intake")}
    share = {pid: after[pid] - before[pid] for pid in after}
    assert sum(share.values()) == BOOKINGS + REQUESTS, share
    assert min(share.values()) > (BOOKINGS + REQUESTS) / INTAKE_REPLICAS / 2, share
    print(f"\nsurge of {BOOKINGS} bookings and {REQUESTS} requests in {took:.1f} s: {statuses[201]} booked, "
          f"refused {dict(refused)}; POSTs per intake replica {sorted(share.values())}")
