"""The product loop on a three-node NATS cluster, every stream on three replicas, while
nodes crash: request → work order → closed as paid → charge lines, return visit and the
unit's timeline, a thousand times over, while the leader of dispatch's stream is killed
(SIGKILL) and brought back, then another node. Nothing is lost and nothing is done twice,
counted in every service; the services ride through on their own connections (the same
processes from start to end).

The nodes run without an fsync per write: a killed process leaves what it wrote in the
page cache, and a stream's copies on the other two nodes are what a crash tests here.
``PLAZADESK_CLUSTER_LOOPS`` sets how many loops (1,000 by default)."""

from __future__ import annotations

import asyncio
import collections
import os
import time

import httpx
import nats
import pytest

from libs.runtime.bus.streams import settled as answered
from scripts.system import System
from tests.support.harness import default_headers, eventually, jwks_file, wait_for

pytestmark = pytest.mark.e2e
PLAZA = "cluster-plaza"
LOOPS = int(os.environ.get("PLAZADESK_CLUSTER_LOOPS", "1000"))
IN_FLIGHT = 24  # loops driven at once
UNITS = [f"K-{i:02d}" for i in range(20)]
LABOUR, MATERIAL = 5000, 1200
# What every loop files on its unit's timeline, at least (each loop's whole set is compared too).
ON_THE_TIMELINE = {"RequestReceived", "WorkOrderCreated", "WorkOrderClosed", "VisitScheduled", "ChargePosted"}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with System(tmp_path_factory.mktemp("cluster"), default_ports=False, nats_nodes=3, sync_always=False,
                env={"PLAZADESK_AUTH_JWKS_FILE": jwks_file()}) as running:
        yield running


@pytest.fixture(scope="module")
def plaza(system):
    with httpx.Client(timeout=10, headers=default_headers()) as http:
        archive, intake = system.url("archive"), system.url("intake")
        assert http.put(f"{archive}/v1/plazas/{PLAZA}", json={"name": "Cluster Plaza", "timezone": "Asia/Shanghai"}).status_code in (200, 201)
        for unit in UNITS:
            r = http.put(f"{archive}/v1/plazas/{PLAZA}/units/{unit}", json={
                "area_m2": 60, "use": "shop", "occupant": {"name": "商户", "kind": "merchant", "phone": "13800002222"},
                "key_account": False})
            assert r.status_code in (200, 201), r.text
        # An empty text is refused only once the unit is known: a probe with no side effect.
        wait_for(lambda: http.post(f"{intake}/v1/plazas/{PLAZA}/requests", json={
            "channel": "phone", "unit": UNITS[-1], "text": " "}).json().get("field") == "text", "intake to learn the units")
        for name, path in (("dispatch", "work-orders"), ("billing", "accounts"), ("survey", "visits"), ("staff", "staff")):
            wait_for(lambda: http.get(f"{system.url(name)}/v1/plazas/{PLAZA}/{path}").status_code == 200, f"{name} to learn the plaza")
        r = http.put(f"{system.url('staff')}/v1/plazas/{PLAZA}/staff/eng-zhao",
                     json={"name": "赵工 Zhao", "roles": ["staff"], "department": "engineering"})
        assert r.status_code in (200, 201), r.text
    asyncio.run(settled(system))
    return PLAZA


async def streams(system) -> tuple:
    nc = await nats.connect(servers=system.nats_urls)
    return nc, nc.jetstream()


async def settled(system, quiet_s: float = 0.5) -> None:
    """Every consumer of every stream has taken and acknowledged everything, for a moment."""
    nc, js = await streams(system)

    async def idle() -> bool:
        for stream in await answered(js.streams_info, "streams"):
            for c in await answered(lambda name=stream.config.name: js.consumers_info(name), "consumers"):
                if c.num_pending or c.num_ack_pending:
                    return False
        return True

    try:
        await eventually(idle, timeout=120, interval=0.2, what="every consumer to catch up")
        await asyncio.sleep(quiet_s)  # what was acked last may have caused one more event
        await eventually(idle, timeout=120, interval=0.2, what="every consumer to catch up")
    finally:
        await nc.close()


async def every_copy_current(js) -> bool:
    """Each stream has a leader and each of its other copies is current. (The cluster's API
    may time out while a node has just come back: asked again, as the services do.)"""
    for stream in await answered(js.streams_info, "streams' copies"):
        cluster = stream.cluster
        if cluster is None or not cluster.leader or not all(p.current for p in cluster.replicas or []):
            return False
    return True


class Loops:
    """Drives the loops ``IN_FLIGHT`` at a time through the public APIs; ``closed`` counts
    those done so far (what the node failures are timed by)."""

    def __init__(self, system) -> None:
        self.system = system
        self.closed = 0
        self.request_ids: list[str] = []
        self.work_orders: dict[str, str] = {}  # request id → work order id

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=IN_FLIGHT * 2)
        async with httpx.AsyncClient(timeout=30, headers=default_headers(), limits=limits) as http:
            self.http = http
            gate = asyncio.Semaphore(IN_FLIGHT)

            async def one(i: int) -> None:
                async with gate:
                    await self.loop(i)

            await asyncio.gather(*(one(i) for i in range(LOOPS)))

    async def loop(self, i: int) -> None:
        intake, dispatch = self.system.url("intake"), self.system.url("dispatch")
        r = await self.http.post(f"{intake}/v1/plazas/{PLAZA}/requests", headers={"Idempotency-Key": f"loop-{i}"}, json={
            "channel": "phone", "unit": UNITS[i % len(UNITS)], "text": "the drain in the shop is blocked"})
        assert r.status_code == 202, r.text
        request_id = r.json()["id"]
        self.request_ids.append(request_id)

        async def work_order():
            items = (await self.http.get(f"{dispatch}/v1/plazas/{PLAZA}/work-orders", params={"request_id": request_id})).json()["items"]
            return items[0]["id"] if items else None

        wo = await eventually(work_order, timeout=90, interval=0.2, what=f"the work order of loop {i}")
        self.work_orders[request_id] = wo
        for action, body in (("assign", {"assignee": "eng-zhao"}), ("start", {}),
                             ("resolve", {"paid": True, "labour_fen": LABOUR, "materials": [
                                 {"name": "PVC elbow", "quantity": 1, "unit_price_fen": MATERIAL}]}), ("close", {})):
            r = await self.http.post(f"{dispatch}/v1/plazas/{PLAZA}/work-orders/{wo}/{action}", json=body)
            assert r.status_code in (200, 201), f"loop {i} {action}: {r.status_code} {r.text}"
        self.closed += 1


async def crash_two_nodes(system, loops: Loops) -> list[str]:
    """The leader of DISPATCH killed at a fifth of the loops and back at 45 %; at 55 %
    another node (INTAKE's leader if it is another) killed, back at 80 %. Each comes back
    on its own data and catches up before the next goes."""
    cluster = system.cluster
    nc, js = await streams(system)
    killed = []

    def reached(fraction: float):
        async def probe() -> bool:
            return loops.closed >= LOOPS * fraction
        return probe

    try:
        for down_at, up_at, stream in ((0.2, 0.45, "DISPATCH"), (0.55, 0.8, "INTAKE")):
            await eventually(reached(down_at), timeout=600, interval=0.05,
                             what=f"{down_at:.0%} of the loops")
            await eventually(lambda: every_copy_current(js), timeout=60, interval=0.2, what="every copy current")
            leader = (await answered(lambda: js.stream_info(stream), f"{stream}'s leader")).cluster.leader
            victim = leader if leader not in killed else next(n.server_name for n in cluster.nodes if n.server_name not in killed)
            cluster.kill(victim)
            killed.append(victim)
            await eventually(reached(up_at), timeout=600, interval=0.05,
                             what=f"{up_at:.0%} of the loops with {victim} down")
            await asyncio.to_thread(cluster.restart, victim)
        await eventually(lambda: every_copy_current(js), timeout=60, interval=0.2, what="every copy current")
    finally:
        await nc.close()
    return killed


def all_pages(http: httpx.Client, url: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = http.get(url, params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def test_a_thousand_loops_while_two_nodes_crash_lose_nothing_and_do_nothing_twice(system, plaza):
    processes = {name: proc.pid for name, proc in system.procs.items()}
    loops = Loops(system)

    async def drive() -> list[str]:
        crashes = asyncio.create_task(crash_two_nodes(system, loops))
        await loops.run()
        return await crashes

    started = time.monotonic()
    killed = asyncio.run(drive())
    took = time.monotonic() - started
    assert len(killed) == 2 and len(set(killed)) == 2, killed

    wos = set(loops.work_orders.values())
    with httpx.Client(timeout=30, headers=default_headers()) as http:
        def effects_done() -> bool:
            visits = all_pages(http, f"{system.url('survey')}/v1/plazas/{plaza}/visits")
            charged = sum(len(http.get(f"{system.url('billing')}/v1/plazas/{plaza}/accounts/{u}").json()["entries"]) for u in UNITS)
            return len(visits) >= LOOPS and charged >= 2 * LOOPS

        wait_for(effects_done, "every visit and charge", timeout=120)
        asyncio.run(settled(system))  # a duplicate would come from a redelivery: count once all is acked
        applied = time.monotonic() - started

        # Every request one work order.
        orders = all_pages(http, f"{system.url('dispatch')}/v1/plazas/{plaza}/work-orders")
        assert len(loops.request_ids) == len(set(loops.request_ids)) == LOOPS
        per_request = collections.Counter(o["request_id"] for o in orders)
        assert set(per_request) == set(loops.request_ids) and set(per_request.values()) == {1}
        assert {o["status"] for o in orders} == {"closed"}

        # Every work order its two charge lines, once each.
        lines = collections.Counter()
        for unit in UNITS:
            for e in http.get(f"{system.url('billing')}/v1/plazas/{plaza}/accounts/{unit}").json()["entries"]:
                lines[(e["work_order_id"], e["amount_fen"])] += 1
        assert set(lines) == {(wo, fen) for wo in wos for fen in (LABOUR, MATERIAL)}
        assert set(lines.values()) == {1}, [k for k, n in lines.items() if n > 1][:5]

        # Every work order one return visit.
        per_order = collections.Counter(v["work_order_id"] for v in all_pages(http, f"{system.url('survey')}/v1/plazas/{plaza}/visits"))
        assert set(per_order) == wos and set(per_order.values()) == {1}

        # Every event once on its unit's timeline, and every loop the same entries. An event
        # still in its service's outbox (a relay waiting out a node's failover) is not on the
        # timeline yet, with every consumer idle: the timeline is read until the loops agree.
        def timeline() -> tuple[list[str], dict[str, collections.Counter]]:
            entries = [e for unit in UNITS for e in all_pages(http, f"{system.url('archive')}/v1/plazas/{plaza}/units/{unit}/timeline")]
            twice = [k for k, n in collections.Counter(e["event_id"] for e in entries).items() if n > 1]
            per_loop = {rid: collections.Counter() for rid in loops.request_ids}
            for e in entries:
                if e["correlation_id"] in per_loop:
                    per_loop[e["correlation_id"]][e["type"]] += 1
            return twice, per_loop

        deadline = time.monotonic() + 90
        while True:
            twice, per_loop = timeline()
            shapes = collections.Counter(frozenset(c.items()) for c in per_loop.values())
            complete = len(shapes) == 1 and ON_THE_TIMELINE <= {t for t, _ in next(iter(shapes))}
            if twice or complete or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert not twice, twice[:5]
        usual = collections.Counter(dict(shapes.most_common(1)[0][0]))
        # Loops unlike the most of them, each with how many entries of which type it has more (or fewer).
        odd = {rid: {t: c[t] - usual[t] for t in set(c) | set(usual) if c[t] != usual[t]}
               for rid, c in per_loop.items() if c != usual}
        assert not odd, odd
        assert ON_THE_TIMELINE <= set(usual), usual

    # The same processes, each ready: they reconnected by themselves.
    assert {name: proc.pid for name, proc in system.procs.items()} == processes
    assert all(proc.poll() is None for proc in system.procs.values())
    system.wait_ready(list(system.procs), timeout=30)
    print(f"\n{LOOPS} loops with {killed[0]} then {killed[1]} killed and back: driven in {took:.1f} s, "
          f"every effect applied and acknowledged after {applied:.1f} s")
