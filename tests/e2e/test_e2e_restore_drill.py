"""The restore drill: the whole system as real processes, a few closed work orders, a backup
taken while it runs (``python -m scripts.backup create``), more work, then everything lost
(the data folder with its databases and the NATS store), restored and started again. What
the backup held is all there, once: one charge per line, one return visit, one timeline
entry per event; what came after it is gone; and the loop still runs."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from libs.runtime.backup import plan as backup_plan
from scripts.system import ROOT, System
from tests.support.harness import PG_URL, Bus, database_params, default_headers, drop_schema, eventually, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "drill-plaza"
UNITS = ("A-101", "A-102", "A-103", "B-201", "B-202", "C-301")


def database_env(kind: str) -> tuple[dict[str, str], list[str]]:
    """The services' database settings for one kind: SQLite in the data folder, or a
    PostgreSQL schema of this run's own per service."""
    if kind == "sqlite":
        return {}, []
    run = uuid.uuid4().hex[:8]
    schemas = {s: f"t_{run}_{s}" for s in backup_plan.SERVICES}
    env = {"PLAZADESK_DATABASE_URL": PG_URL, **{f"{s.upper()}_DATABASE_SCHEMA": schema for s, schema in schemas.items()}}
    return env, list(schemas.values())


def start(data_dir: Path, env: dict[str, str], *, restore_from: Path | None = None) -> System:
    system = System(data_dir, default_ports=False, env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file(), **env})
    if restore_from is not None:  # as under make run: the embedded NATS alone for the restore
        backup(system, "restore", "--from", str(restore_from), "--start-nats")
    try:
        return system.start(timeout=180)  # a busy two-core machine
    except BaseException:  # the processes already started are stopped too
        system.stop()
        raise


def backup(system: System, *args: str) -> str:
    """The command line as an operator (or the CronJob) runs it, with the services' settings:
    the data folder, NATS, the operator's password from make run's passwords file."""
    env = {**os.environ, **system.extra_env, "PLAZADESK_DATA_DIR": str(system.data_dir)}
    if system.services_nats_url:
        env["PLAZADESK_NATS_URL"] = system.services_nats_url
    done = subprocess.run([sys.executable, "-m", "scripts.backup", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Desk:
    """The public APIs of one running system, as the test's operator."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.c = {name: httpx.Client(base_url=system.url(name), timeout=10, headers=default_headers())
                  for name in system.ports}

    def close(self) -> None:
        for client in self.c.values():
            client.close()

    def path(self, service: str, rest: str) -> str:
        return f"/v1/plazas/{PLAZA}/{rest}"

    def setup(self) -> None:
        archive, intake = self.c["archive"], self.c["intake"]
        assert archive.put(f"/v1/plazas/{PLAZA}", json={"name": "Drill Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
        for unit in UNITS:
            r = archive.put(self.path("archive", f"units/{unit}"), json={
                "area_m2": 50, "use": "shop", "occupant": {"name": "Wang", "kind": "merchant"}, "key_account": False})
            assert r.status_code in (200, 201), r.text
            wait_for(lambda: intake.post(self.path("intake", "requests"), json={"channel": "phone", "unit": unit, "text": " "})
                     .json().get("field") == "text", f"intake to learn unit {unit}")
        for name, rest in (("dispatch", "work-orders"), ("billing", "accounts/A-101"), ("survey", "visits")):
            wait_for(lambda: self.c[name].get(self.path(name, rest)).status_code == 200, f"{name} to learn the plaza")
        staff = self.c["staff"]
        r = staff.post("/v1/token", json={"username": "operator", "password": self.system.operator_password()})
        bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {"name": "Zhao", "roles": ["staff"], "department": "engineering"}
        wait_for(lambda: staff.put(self.path("staff", "staff/eng-zhao"), json=body, headers=bearer).status_code in (200, 201),
                 "staff to take on eng-zhao")
        asyncio.run(caught_up(self.system))

    def loop(self, unit: str) -> dict:
        """A call about ``unit`` to a closed, paid work order: its charge and its return visit."""
        r = self.c["intake"].post(self.path("intake", "requests"), json={"channel": "phone", "unit": unit, "text": f"leak in {unit}"})
        assert r.status_code == 202, r.text
        request_id = r.json()["id"]
        wo = wait_for(lambda: self.work_orders(request_id=request_id), "the work order")[0]
        for action, body in (("assign", {"assignee": "eng-zhao"}), ("start", {}),
                             ("resolve", {"paid": True, "labour_fen": 3000,
                                          "materials": [{"name": "washer", "quantity": 2, "unit_price_fen": 150}]}),
                             ("close", {})):
            r = self.c["dispatch"].post(self.path("dispatch", f"work-orders/{wo['id']}/{action}"), json=body)
            assert r.status_code in (200, 201), f"{action}: {r.text}"
        wait_for(lambda: len(self.charges(unit)) == 2, f"the charges of {unit}")
        wait_for(lambda: self.visits(wo["id"]), f"the return visit of {unit}")
        wait_for(lambda: "ChargePosted" in self.timeline(unit), f"the timeline of {unit}")
        return {"unit": unit, "request_id": request_id, "work_order_id": wo["id"]}

    def work_orders(self, **params) -> list[dict]:
        return self.c["dispatch"].get(self.path("dispatch", "work-orders"), params=params).json()["items"]

    def charges(self, unit: str) -> list[dict]:
        r = self.c["billing"].get(self.path("billing", f"accounts/{unit}"))
        return [e for e in r.json()["entries"] if e["kind"] == "charge"] if r.status_code == 200 else []

    def visits(self, work_order_id: str) -> list[dict]:
        return self.c["survey"].get(self.path("survey", "visits"), params={"work_order_id": work_order_id}).json()["items"]

    def timeline(self, unit: str) -> list[str]:
        items = self.c["archive"].get(self.path("archive", f"units/{unit}/timeline"), params={"limit": 500}).json()["items"]
        assert len({i["event_id"] for i in items}) == len(items), "an event twice on the timeline"
        return [i["type"] for i in items]


async def caught_up(system: System) -> None:
    """Every durable consumer on every stream has taken (and acknowledged) all it takes."""
    async with Bus(system.nats_url) as bus:
        for info in await bus.js.streams_info():
            for consumer in await bus.js.consumers_info(info.config.name):
                await eventually(lambda: bus.caught_up(info.config.name, consumer.name), timeout=60,
                                 what=f"{consumer.name} to catch up")


@pytest.fixture(params=database_params())
def db_env(request):
    env, schemas = database_env(request.param)
    yield env
    for schema in schemas:
        asyncio.run(drop_schema(schema))


def test_a_backup_restored_after_losing_everything(tmp_path, db_env):
    data = tmp_path / "data"
    system = start(data, db_env)
    desk = Desk(system)
    try:
        desk.setup()
        before = [desk.loop(unit) for unit in ("A-101", "A-102", "A-103")]
        asyncio.run(caught_up(system))
        out = backup(system, "create", "--to", str(tmp_path / "backups"), "--keep", "3")
        after = [desk.loop(unit) for unit in ("B-201", "B-202")]  # lost with the data
    finally:
        desk.close()
        system.stop()

    # Everything is lost: the databases, the NATS store, the generated keys.
    shutil.rmtree(data)
    for schema in [v for k, v in db_env.items() if k.endswith("_DATABASE_SCHEMA")]:
        asyncio.run(drop_schema(schema))
    listed = backup(System(data, default_ports=False), "list", "--to", str(tmp_path / "backups")).splitlines()
    assert len(listed) == 1 and f"{len(backup_plan.SERVICES)} databases" in listed[0], (out, listed)
    assert "as the manifest says" in backup(System(data, default_ports=False), "verify", "--from", listed[0].split()[0])

    system = start(data, db_env, restore_from=Path(listed[0].split()[0]))
    desk = Desk(system)
    try:
        asyncio.run(caught_up(system))  # what is redelivered has been taken before counting
        for loop in before:
            assert [w["status"] for w in desk.work_orders(request_id=loop["request_id"])] == ["closed"]
            assert sorted(c["amount_fen"] for c in desk.charges(loop["unit"])) == [300, 3000]
            assert len(desk.visits(loop["work_order_id"])) == 1
            counts = Counter(desk.timeline(loop["unit"]))
            assert counts["RequestReceived"] == counts["WorkOrderClosed"] == counts["VisitScheduled"] == 1, counts
            assert counts["ChargePosted"] == 2, counts
        for loop in after:  # after the backup: what the operator loses
            assert desk.work_orders(request_id=loop["request_id"]) == []
            assert desk.charges(loop["unit"]) == []

        again = desk.loop("C-301")  # the system still works
        asyncio.run(caught_up(system))
        assert len(desk.visits(again["work_order_id"])) == 1 and len(desk.charges("C-301")) == 2
        for loop in before:
            assert len(desk.charges(loop["unit"])) == 2 and len(desk.visits(loop["work_order_id"])) == 1
    finally:
        desk.close()
        system.stop()
