"""Replicas on PostgreSQL, as production scales them: two intake replicas and two of each
consumer service (dispatch, billing, survey, archive), on a fresh set of schemas, all
started at the same moment after the migration step. Before versioned migrations every
replica created its tables at start-up, and two of them on a fresh schema raced on
CREATE SCHEMA / CREATE TABLE."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from scripts.system import SERVICES, System
from tests.support.harness import (
    PG_URL, Bus, default_headers, drop_schema, eventually, jwks_file, postgres_reachable, wait_for,
)
from tests.support.replicas import start_together, stop_all

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL")]
PLAZA = "replica-plaza"
UNITS = ("A-1", "A-2", "B-1", "B-2")
REPLICAS = {"intake": 2, "dispatch": 2, "billing": 2, "survey": 2, "archive": 2}


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    schemas = {name: f"t_{run}_{name}" for name in SERVICES}
    env = {"PLAZADESK_DATABASE_URL": PG_URL, "PLAZADESK_AUTH_JWKS_FILE": jwks_file(),
           **{f"{name.upper()}_DATABASE_SCHEMA": schema for name, schema in schemas.items()}}
    system = System(tmp_path_factory.mktemp("replicas"), default_ports=False, env=env)
    try:
        urls = start_together(system, REPLICAS)
        yield system, urls
    finally:
        stop_all(system)
        for schema in schemas.values():
            asyncio.run(drop_schema(schema))


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10, headers=default_headers())


async def caught_up(nats_url: str, *consumers: tuple[str, str]) -> None:
    async with Bus(nats_url) as bus:
        for stream, durable in consumers:
            await eventually(lambda: bus.caught_up(stream, durable), timeout=30, what=f"{durable} to catch up")


def test_replicas_started_at_once_after_the_migration_step_each_do_every_job_once(replicated):
    system, urls = replicated
    assert all(len(urls[name]) == count for name, count in REPLICAS.items())  # every replica started
    archive = client(urls["archive"][1])
    intakes = [client(url) for url in urls["intake"]]
    dispatch, billing, survey, staff = (client(urls[name][0]) for name in ("dispatch", "billing", "survey", "staff"))

    assert archive.put(f"/v1/plazas/{PLAZA}", json={"name": "Replica Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
    for unit in UNITS:
        body = {"area_m2": 60, "use": "shop", "occupant": {"name": "Li", "kind": "merchant"}, "key_account": False}
        assert archive.put(f"/v1/plazas/{PLAZA}/units/{unit}", json=body).status_code in (200, 201)
    for intake in intakes:  # an empty text is refused only once the unit is known
        for unit in UNITS:
            wait_for(lambda: intake.post(f"/v1/plazas/{PLAZA}/requests",
                                         json={"channel": "phone", "unit": unit, "text": " "}).json().get("field") == "text",
                     f"intake at {intake.base_url} to learn {unit}")
    for service, path in ((dispatch, "work-orders"), (billing, "accounts"), (survey, "visits")):
        wait_for(lambda: service.get(f"/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{service.base_url} to learn the plaza")
    hire_engineer(system, staff)

    requests = []
    for i, unit in enumerate(UNITS):  # through both intake replicas in turn
        r = intakes[i % 2].post(f"/v1/plazas/{PLAZA}/requests",
                                json={"channel": "phone", "unit": unit, "text": f"the drain in shop {unit} is blocked"})
        assert r.status_code == 202, r.text
        requests.append(r.json()["id"])
    asyncio.run(caught_up(system.nats_url, ("INTAKE", "dispatch-request-received")))
    orders = [wait_for(lambda: one_work_order(dispatch, rid), f"the work order of {rid}") for rid in requests]
    assert len(dispatch.get(f"/v1/plazas/{PLAZA}/work-orders", params={"limit": 100}).json()["items"]) == len(UNITS)

    paid = {"paid": True, "labour_fen": 5000,
            "materials": [{"name": "PVC elbow", "quantity": 2, "unit_price_fen": 1200},
                          {"name": "sealant", "quantity": 1, "unit_price_fen": 800}]}
    dispatches = [client(url) for url in urls["dispatch"]]
    for i, order in enumerate(orders):  # each step through either dispatch replica
        for step, body in (("assign", {"assignee": "eng-replica"}), ("start", {}),
                           ("resolve", paid if i == 0 else {"paid": False, "labour_fen": 0, "materials": []}), ("close", {})):
            r = dispatches[(i + len(step)) % 2].post(f"/v1/plazas/{PLAZA}/work-orders/{order['id']}/{step}", json=body)
            assert r.status_code in (200, 201), f"{step}: {r.text}"
    asyncio.run(caught_up(system.nats_url, ("DISPATCH", "billing-work-order-closed"), ("DISPATCH", "survey-work-order-closed")))

    account = wait_for(lambda: (a := billing.get(f"/v1/plazas/{PLAZA}/accounts/{UNITS[0]}").json()).get("owed_fen") == 8200 and a,
                       "the paid work order's charges")
    assert sorted(e["amount_fen"] for e in account["entries"]) == [800, 2400, 5000]  # one charge per line
    for unit in UNITS[1:]:
        r = billing.get(f"/v1/plazas/{PLAZA}/accounts/{unit}")
        assert r.status_code == 404 or r.json()["owed_fen"] == 0
    for order in orders:
        visits = wait_for(lambda: survey.get(f"/v1/plazas/{PLAZA}/visits", params={"work_order_id": order["id"]}).json()["items"],
                          f"the return visit of {order['id']}")
        assert len(visits) == 1


def one_work_order(dispatch: httpx.Client, request_id: str):
    items = dispatch.get(f"/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id}).json()["items"]
    assert len(items) <= 1, items
    return items[0] if items else None


def hire_engineer(system: System, staff: httpx.Client) -> None:
    r = staff.post("/v1/token", json={"username": "operator", "password": system.operator_password()})
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    body = {"name": "Replica Engineer", "roles": ["staff"], "department": "engineering"}
    wait_for(lambda: staff.put(f"/v1/plazas/{PLAZA}/staff/eng-replica", json=body, headers=bearer).status_code in (200, 201),
             "staff to take on the engineer")
    asyncio.run(caught_up(system.nats_url, ("STAFF", "dispatch-staff")))
