"""PlazaDesk scaled out on PostgreSQL: intake with 1, 2 and 3 replicas on one port, the
consumers draining a backlog with 1 and 2 replicas, and close → charge + visit at a fixed
rate, with 50 plazas × 500 units loaded first; each figure for one plaza's traffic beside
the whole's (spread over every plaza). ``make bench BENCH_DB=both`` runs it after the
SQLite figures; alone:

    python -m bench.scale [--duration 5] [--concurrency 32] [--e2e-rate 200] [--backlog 5000]

Its floor is measured in the same run: the HTTP+publish floor app (bench/floor_app.py, one
process) at the same concurrency, the services paused while it runs. Needs PostgreSQL
(PLAZADESK_TEST_PG_URL, else the local server's ``test`` database); the schemas it makes
are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvloop

from bench import floors
from bench import run as bench
from libs.contracts import subject_for
from libs.contracts.events import encode
from scripts.natsserver import NatsServer
from scripts.system import CONSUMERS, SERVICES, System
from tests.support.harness import PG_URL, Bus, drop_schema, postgres_reachable, posts_per_replica

PLAZAS = [f"p{i:02d}" for i in range(50)]
UNITS = [f"U-{i}" for i in range(500)]  # the names bench.run's backlogs use
ONE = PLAZAS[0]
INTAKE_REPLICAS = (1, 2, 3)
DRAINED = {  # service → (stream, durable) of the consumer whose backlog is timed
    "dispatch": ("INTAKE", "dispatch-request-received"),
    "billing": ("DISPATCH", "billing-work-order-closed"),
    "survey": ("DISPATCH", "survey-work-order-closed"),
}


def body(unit: str = "U-203") -> str:
    return bench.BODY.replace("A-203", unit)


def requests_url(system: System, plazas: list[str]) -> str:
    return ",".join(f"{system.url('intake')}/v1/plazas/{p}/requests" for p in plazas)


def loadgen(url: str, concurrency: int, duration: float, rate: float | None = None) -> dict:
    saved = bench.BODY
    bench.BODY = body()
    try:
        return bench.loadgen(url, concurrency, duration, rate)
    finally:
        bench.BODY = saved


def load_register(system: System) -> float:
    """Every plaza and its 500 units through archive (a register import each); returns the seconds."""
    started = time.monotonic()
    rows = "unit,area_m2,use,occupant_name,occupant_kind\n" + "".join(f"{u},80,shop,Li,merchant\n" for u in UNITS)
    with httpx.Client(base_url=system.url("archive"), timeout=120, headers=bench.AUTH) as archive:
        for plaza in PLAZAS:
            archive.put(f"/v1/plazas/{plaza}", json={"name": plaza, "timezone": "Asia/Shanghai"}).raise_for_status()
            r = archive.post(f"/v1/plazas/{plaza}/units/import", content=rows.encode(), headers={"content-type": "text/csv"})
            r.raise_for_status()
    return round(time.monotonic() - started, 1)


def intake_knows(system: System) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = httpx.post(f"{system.url('intake')}/v1/plazas/{PLAZAS[-1]}/requests", headers=bench.AUTH,
                       json={"channel": "phone", "unit": UNITS[-1], "text": " "})
        if r.status_code < 500 and r.json().get("field") == "text":
            return
        time.sleep(0.2)
    raise bench.CountMismatch("intake never learned the plazas' units")


def accepted(run: dict) -> None:
    refused = {k: v for k, v in run["all_statuses"].items() if str(k) != "202"}
    if refused or run["errors"]:
        raise bench.CountMismatch(f"intake answered something other than 202: {refused}, {run['errors']} errors")


async def measure_intake(system: System, nats_url: str, duration: float, concurrency: int, floor: dict) -> dict:
    """Intake with 1, 2, then 3 replicas on its port, each from a settled system: one
    plaza's requests, then requests spread over every plaza."""
    out: dict = {"replicas": {}, "floor": floor}
    for name in system.replica_names("intake")[1:]:
        system.stop_process(name)
    for n in INTAKE_REPLICAS:
        if n > 1:
            name = system.replica_names("intake")[n - 1]
            system.start_service(name)
            system.wait_ready([name], timeout=120)
        point = {}
        for which, plazas in (("one_plaza", [ONE]), ("all_plazas", PLAZAS)):
            await bench.wait_idle(nats_url, timeout=600)
            before = posts_per_replica(system.url("intake"), n, bench.AUTH)
            point[which] = loadgen(requests_url(system, plazas), concurrency, duration)
            accepted(point[which])
            after = posts_per_replica(system.url("intake"), n, bench.AUTH)
            # How the kernel spread the load generator's connections: each replica's share.
            point[which]["per_replica"] = sorted(after[pid] - before.get(pid, 0) for pid in after)
            point[which]["ratio_to_floor"] = bench.ratio(point[which]["rps"], floor["rps"])
        out["replicas"][n] = point
    for which in ("one_plaza", "all_plazas"):
        base = out["replicas"][1][which]["rps"]
        out[f"scaling_{which}"] = {f"{n}/1": bench.ratio(out["replicas"][n][which]["rps"], base) for n in INTAKE_REPLICAS[1:]}
    return out


async def measure_e2e(system: System, nats_url: str, rate: float, duration: float) -> dict:
    """Closes at a fixed rate, to one plaza, then spread over every plaza."""
    out = {}
    for which, plazas in (("one_plaza", ONE), ("all_plazas", ",".join(PLAZAS))):
        await bench.wait_idle(nats_url, timeout=600)
        consumers = await bench.e2e_consumers(nats_url)
        out[which] = await bench.run_closer(nats_url, rate, duration, UNITS[:20], consumers, plaza=plazas)
    return out


async def drain(system: System, bus: Bus, service: str, replicas: int, count: int, plazas: list[str]) -> dict:
    """The service's processes stopped, a backlog of ``count`` events published, then
    ``replicas`` of them started at once; timed from the first delivery to the last ack."""
    stream, durable = DRAINED[service]
    for name in system.replica_names(service):
        if name in system.procs:
            system.stop_process(name)
    pending = []
    for i in range(count):
        event = bench.backlog_for(service, i, plazas[i % len(plazas)])
        pending.append(bus.js.publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": event.id}))
        if len(pending) >= 500:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    last_seq = (await bus.js.stream_info(stream)).state.last_seq
    before = (await bus.js.consumer_info(stream, durable)).delivered.consumer_seq
    names = system.replica_names(service)[:replicas]
    for name in names:
        system.start_service(name)
    first = done = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        info = await bus.js.consumer_info(stream, durable)
        if first is None and info.delivered.consumer_seq > before:
            first = time.perf_counter()
        if info.ack_floor.stream_seq >= last_seq and info.num_ack_pending == 0:
            done = time.perf_counter()
            break
        await asyncio.sleep(0.01)
    if first is None or done is None:
        raise bench.CountMismatch(f"{service} with {replicas} replicas never drained its backlog")
    delivered = info.delivered.consumer_seq - before
    system.wait_ready(names, timeout=120)
    return {"events": delivered, "seconds": round(done - first, 2), "events_per_s": round(delivered / (done - first), 1)}


async def measure_drains(system: System, nats_url: str, count: int) -> dict:
    """Each consumer with 1 then 2 replicas, the other consumers of its stream stopped
    (their share would take the same cores); its backlog over one plaza, then over all."""
    out: dict = {}
    async with Bus(nats_url) as bus:
        for service in DRAINED:
            others = [s for s in CONSUMERS if s != service and s != "dispatch"]
            for other in others:
                for name in system.replica_names(other):
                    if name in system.procs:
                        system.stop_process(name)
            out[service] = {}
            for replicas in (1, 2):
                for which, plazas in (("one_plaza", [ONE]), ("all_plazas", PLAZAS)):
                    out[service].setdefault(replicas, {})[which] = await drain(system, bus, service, replicas, count, plazas)
            for other in others:  # back, to take what they missed before the next service's run
                for name in system.replica_names(other):
                    system.start_service(name)
                system.wait_ready(system.replica_names(other), timeout=120)
            for which in ("one_plaza", "all_plazas"):
                out[service][f"scaling_{which}"] = bench.ratio(out[service][2][which]["events_per_s"],
                                                               out[service][1][which]["events_per_s"])
    return out


async def measure(work: Path, *, duration: float, concurrency: int, e2e_rate: float, backlog: int,
                  sync_always: bool = True) -> dict:
    if not postgres_reachable():
        return {"skipped": "no PostgreSQL reachable"}
    server = NatsServer(work / "nats-pg", sync_always=sync_always).start(work / "nats-pg.log")
    prefix = f"bench{uuid.uuid4().hex[:8]}_"
    replicas = {"intake": max(INTAKE_REPLICAS), **dict.fromkeys(CONSUMERS, 2)}
    system = System(work / "pg", nats_url=server.url, default_ports=False, env=bench.bench_env(), replicas=replicas,
                    database_url=PG_URL, database_schema_prefix=prefix)
    floor_proc, floor_port = floors.http_floor_server(server.url, work / "floor_app_pg.log")
    out: dict = {"database": PG_URL.split("@")[-1], "plazas": len(PLAZAS), "units_per_plaza": len(UNITS)}
    try:
        system.start(timeout=300)
        print("  register: 50 plazas × 500 units…", flush=True)
        out["register_load_s"] = load_register(system)
        intake_knows(system)
        out["register_settled_s"] = await bench.wait_idle(server.url, timeout=900)
        floor_url = f"http://127.0.0.1:{floor_port}/v1/publish"
        bench.wait_http(floor_url)
        with bench.paused(list(system.procs.values())):
            floor = bench.loadgen(floor_url, concurrency, duration)
            out["pull_floor"] = await floors.pull_consume(server.url, backlog)
        floor_proc.terminate()
        floor_proc.wait()
        print("  intake with 1, 2, 3 replicas…", flush=True)
        out["intake"] = await measure_intake(system, server.url, duration, concurrency, floor)
        print("  end to end…", flush=True)
        out["e2e"] = await measure_e2e(system, server.url, e2e_rate, duration)
        print("  drains with 1 and 2 replicas…", flush=True)
        out["drain"] = await measure_drains(system, server.url, backlog)
        for d in out["drain"].values():
            for n in (1, 2):
                for which in ("one_plaza", "all_plazas"):
                    d[n][which]["ratio_to_floor"] = bench.ratio(d[n][which]["events_per_s"], out["pull_floor"]["events_per_s"])
    finally:
        if floor_proc.poll() is None:
            floor_proc.terminate()
            floor_proc.wait()
        system.stop()
        server.stop()
        for service in SERVICES:
            await drop_schema(f"{prefix}{service}")
    return out


def table(r: dict) -> str:
    if r.get("skipped"):
        return f"PostgreSQL: skipped ({r['skipped']})"
    i, lines = r["intake"], []
    lines.append(f"PostgreSQL ({r['database']}), {r['plazas']} plazas × {r['units_per_plaza']} units loaded "
                 f"(register imported in {r['register_load_s']} s, every service had it {r['register_settled_s']} s later)")
    f = i["floor"]
    lines.append(f"  intake replicas on one port (SO_REUSEPORT), closed loop; floor http+js (one process) {f['rps']} req/s")
    lines.append(f"  {'replicas':>8} | {'one plaza req/s':>15} {'p50':>6} {'p99':>7} {'ratio':>6} | {'all plazas req/s':>16} {'p50':>6} {'p99':>7} {'ratio':>6}")
    for n, point in i["replicas"].items():
        a, b = point["one_plaza"], point["all_plazas"]
        lines.append(f"  {n:>8} | {a['rps']:>15} {a['p50_ms']:>6} {a['p99_ms']:>7} {a['ratio_to_floor']:>6} | "
                     f"{b['rps']:>16} {b['p50_ms']:>6} {b['p99_ms']:>7} {b['ratio_to_floor']:>6}")
    lines.append(f"  scaling against 1 replica: one plaza {i['scaling_one_plaza']}, all plazas {i['scaling_all_plazas']}")
    lines.append("  requests each replica answered (the kernel's spread of the connections): " + "; ".join(
        f"{n}: {p['one_plaza'].get('per_replica')} / {p['all_plazas'].get('per_replica')}" for n, p in i["replicas"].items()))
    for which, e in r["e2e"].items():
        lines.append(f"  close → charge + visit + timeline at {e['rate']}/s, {which.replace('_', ' ')}: p50 {e['p50_ms']} ms, "
                     f"p99 {e['p99_ms']} ms, max {e['max_ms']} ms ({e['closes']} closes; the store alone p50 "
                     f"{e['stored']['p50_ms']} / p99 {e['stored']['p99_ms']} ms)")
    lines.append(f"  drains (floor: bare pull+ack {r['pull_floor']['events_per_s']}/s, same server, the services paused;"
                 " ratios to it in brackets)")
    for service, d in r["drain"].items():
        cells = "; ".join(f"{n} replica{'s' if n > 1 else ''}: one plaza {d[n]['one_plaza']['events_per_s']}/s "
                          f"({d[n]['one_plaza']['ratio_to_floor']}), all {d[n]['all_plazas']['events_per_s']}/s "
                          f"({d[n]['all_plazas']['ratio_to_floor']})" for n in (1, 2))
        lines.append(f"  drain {service:<8} {cells}; 2/1 {d['scaling_one_plaza']} / {d['scaling_all_plazas']}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--e2e-rate", type=float, default=200)
    ap.add_argument("--backlog", type=int, default=5000)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plazadesk-bench-pg-"))
    try:
        result = uvloop.run(measure(work, duration=args.duration, concurrency=args.concurrency,
                                    e2e_rate=args.e2e_rate, backlog=args.backlog))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    stamp = time.strftime("%Y-%m-%dT%H%M%S+0000-pg", time.gmtime())
    bench.report(table(result), {"postgres": result}, stamp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
