"""``make bench``: PlazaDesk's figures against raw floors measured in the same run.

Starts a real nats-server (fsync on every write: ``sync_interval: always``) and the real
services on their embedded default (SQLite), drives them from separate load-generator
processes on loopback with bounded load, prints a table and writes JSON to
bench/results/<timestamp>.json. Fails loudly if any count at the end differs. Last, the
console's pages and live queue on a system of their own (bench.console; ``--no-console``);
with ``--db both`` (``make bench BENCH_DB=both``, or PLAZADESK_BENCH_PG=1) then PostgreSQL
with replicas of intake and the consumers (bench.scale).

A shared host's speed drifts by 10-25 % within minutes, so intake, the fixed rate and the
end-to-end run are each measured ``--rounds`` times (3) and the medians are reported, with
every run; intake's ratio to the HTTP+publish floor is taken within a round (the two run
back to back, the services paused while the floor runs), then the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import nats
import uvloop

from bench import floors, triage
from bench.closer import paid_close
from bench.loadgen import summarize
from libs.contracts import STREAMS, subject_for
from libs.contracts.events import (
    Occupant, PlazaRegistered, RequestReceived, UnitRegistered, encode,
)
from scripts.natsserver import NatsServer
from tests.support.harness import Bus, bearer, jwks_file
from scripts.system import ROOT, System

PLAZA = "bench"
BODY = json.dumps({"channel": "phone", "unit": "A-203", "text": "the drain in shop A-203 is blocked",
                   "contact": {"name": "Li Ming", "phone": "13800000000"}})


# The services the benchmark starts verify tokens with a key made for the run (its public
# half a JWKS file handed to them), as they would the staff service's; every request sends
# an operator's token, so verification is part of what is measured.
AUTH = bearer("bench", roles=["operator"], expires_in=7 * 24 * 3600)


def bench_env() -> dict[str, str]:
    return {"PLAZADESK_AUTH_JWKS_FILE": jwks_file()}


class CountMismatch(AssertionError):
    pass


def loadgen(url: str, concurrency: int, duration: float, rate: float | None = None) -> dict:
    cmd = [sys.executable, "-m", "bench.loadgen", url, "--concurrency", str(concurrency),
           "--duration", str(duration), "--body", BODY, "--header", f"Authorization: {AUTH['Authorization']}"]
    if rate:
        cmd += ["--rate", str(rate)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, content=BODY, headers={"content-type": "application/json", **AUTH}).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


# --- floors ----------------------------------------------------------------------------

async def measure_floors(nats_url: str, work: Path, duration: float, levels: list[int], floor_port: int) -> dict:
    """The floors measured once, before the system starts (the HTTP+publish floor is
    measured round by round beside intake instead, see ``measure_intake``)."""
    out: dict = {"http_post": {}, "js_publish": {}}
    for c in levels:
        out["http_post"][c] = loadgen(f"http://127.0.0.1:{floor_port}/v1/echo", c, duration)
        out["js_publish"][c] = await floors.js_publish(nats_url, c, duration)
    out["pull_consume"] = await floors.pull_consume(nats_url, 50_000)
    out["sqlite_insert"] = floors.sqlite_batched_insert(work / "floor.db")
    return out


# --- intake ----------------------------------------------------------------------------

def seed(system: System, units: list[str]) -> None:
    archive = httpx.Client(base_url=system.url("archive"), timeout=10, headers=AUTH)
    archive.put(f"/v1/plazas/{PLAZA}", json={"name": "Bench Plaza", "timezone": "Asia/Shanghai"}).raise_for_status()
    for unit in units:
        archive.put(f"/v1/plazas/{PLAZA}/units/{unit}", json={
            "area_m2": 80, "use": "shop", "occupant": {"name": "Li", "kind": "merchant", "phone": "138"}, "key_account": False,
        }).raise_for_status()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = httpx.post(f"{system.url('intake')}/v1/plazas/{PLAZA}/requests", headers=AUTH,
                       json={"channel": "phone", "unit": units[-1], "text": " "})
        if r.json().get("field") == "text":
            return
        time.sleep(0.1)
    raise RuntimeError("intake never learned the bench units")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """Each process's CPU seconds so far."""
    return {n: cpu_seconds(p) for n, p in pids.items()}


def cpu_since(pids: dict[str, int], before: dict[str, float]) -> dict[str, float]:
    """Each process's CPU seconds since ``before`` (a ``cpu_now``)."""
    return {n: cpu_seconds(p) - before[n] for n, p in pids.items()}


def ms_per(spent: dict[str, float], units: int) -> dict[str, float | None]:
    """CPU milliseconds each process spent per unit of work (a request accepted, a close
    applied, an event drained): where the two cores go."""
    return {n: round(1000 * s / units, 3) if units else None for n, s in spent.items()}


@contextlib.contextmanager
def paused(procs: list[subprocess.Popen]):
    """The services stopped (SIGSTOP) while a floor is measured, as if they were not there:
    the floor gets the whole machine, as it did before they started."""
    for proc in procs:
        proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGCONT)


def median_run(runs: list[dict], key: str) -> dict:
    """The run whose ``key`` is the median (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r[key])[(len(runs) - 1) // 2]


async def measure_intake(system: System, nats_url: str, duration: float, levels: list[int], pids: dict[str, int],
                         floor_url: str, rounds: int) -> dict:
    """Each concurrency in ``rounds`` rounds, each round one run of intake and one of the
    HTTP+publish floor, back to back and in alternating order: the host's speed drifts
    (10-25 % within minutes on a shared machine), so a ratio is taken within a round and
    the median of the rounds is reported. Each intake run starts from a settled system:
    the work orders, timeline entries and copies the previous run caused are all applied
    before it (``wait_idle``). Then the fixed rate (50 % of the best median) ``rounds`` times."""
    url = f"{system.url('intake')}/v1/plazas/{PLAZA}/requests"
    services = list(system.procs.values())
    out: dict = {"closed_loop": {}, "floor": {}, "ratio": {}, "waited_for_idle_s": []}
    cpu_at = max(levels)  # CPU is counted over the intake runs at the highest concurrency
    spent, requests_at = dict.fromkeys(pids, 0.0), 0
    for c in levels:
        runs, floor_runs, ratios = [], [], []
        for k in range(rounds):
            pair: dict = {}
            for which in (("floor", "intake") if k % 2 == 0 else ("intake", "floor")):
                if which == "floor":
                    with paused(services):
                        pair["floor"] = loadgen(floor_url, c, duration)
                    continue
                out["waited_for_idle_s"].append(await wait_idle(nats_url))
                before = cpu_now(pids)
                pair["intake"] = loadgen(url, c, duration)
                if c == cpu_at:
                    for n, seconds in cpu_since(pids, before).items():
                        spent[n] += seconds
                    requests_at += pair["intake"]["count"]
            runs.append(pair["intake"])
            floor_runs.append(pair["floor"])
            ratios.append(ratio(pair["intake"]["rps"], pair["floor"]["rps"]))
        out["closed_loop"][c] = {**median_run(runs, "rps"), "runs": runs}
        out["floor"][c] = {**median_run(floor_runs, "rps"), "runs": floor_runs}
        out["ratio"][c] = {"median": round(statistics.median(ratios), 2), "rounds": ratios}
    out["cpu_ms_per_request"] = ms_per(spent, requests_at)
    best = max(r["rps"] for r in out["closed_loop"].values())
    rate = round(best * 0.5)
    fixed, floor_fixed = [], []
    for _ in range(rounds):
        out["waited_for_idle_s"].append(await wait_idle(nats_url))
        with floors.FsyncProbe(system.data_dir) as probe:
            fixed.append(loadgen(url, 64, duration, rate=rate))
        fixed[-1]["fsync_during_run"] = probe.summary()
        with paused(services):  # the floor at the same rate: what HTTP and the broker's ack alone take
            floor_fixed.append(loadgen(floor_url, 64, duration, rate=rate))
    out["fixed_rate"] = {**median_run(fixed, "p99_ms"), "rate": rate, "runs": fixed}
    out["floor_fixed_rate"] = {**median_run(floor_fixed, "p99_ms"), "rate": rate, "runs": floor_fixed}
    return out


def accepted_total(intake_result: dict) -> int:
    runs = [run for point in [*intake_result["closed_loop"].values(), intake_result["fixed_rate"]] for run in point["runs"]]
    refused = [(k, v) for r in runs for k, v in r["all_statuses"].items() if str(k) != "202"]
    if refused or any(r["errors"] for r in runs):
        raise CountMismatch(f"intake answered something other than 202: {refused}")
    return sum(v for r in runs for v in r["all_statuses"].values())


async def check_intake_counts(system: System, nats_url: str, accepted: int) -> dict:
    """Every 202 is an event on the stream, a row in intake's read model and a work order."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # both consumers of the requests have taken them all
        infos = [await js.consumer_info("INTAKE", name) for name in ("dispatch-request-received", "intake-requests")]
        if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
            break
        await asyncio.sleep(0.2)
    stream = (await js.stream_info("INTAKE")).state.messages
    db = sqlite3.connect(system.data_dir / "intake.db")
    rows = db.execute("SELECT count(*) FROM requests WHERE plaza_id = ? AND text != ' '", (PLAZA,)).fetchone()[0]
    db.close()
    await nc.close()
    wo = sqlite3.connect(system.data_dir / "dispatch.db")
    orders = wo.execute("SELECT count(*) FROM work_orders WHERE plaza_id = ?", (PLAZA,)).fetchone()[0]
    wo.close()
    counts = {"accepted_202": accepted, "intake_rows": rows, "intake_stream": stream, "work_orders": orders}
    if not (accepted == rows == orders) or stream < rows:
        raise CountMismatch(f"intake counts differ: {counts}")
    return counts


# --- end to end ------------------------------------------------------------------------

async def wait_idle(nats_url: str, timeout: float = 120, quiet_s: float = 0.5) -> float:
    """Until every consumer of every stream has taken and acked everything (the work an
    earlier step left behind is not counted in the next one); returns the seconds waited."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    start = time.monotonic()
    idle_since = None
    try:
        while time.monotonic() - start < timeout:
            busy = False
            for stream in await js.streams_info():
                for c in await js.consumers_info(stream.config.name):
                    busy = busy or c.num_pending > 0 or c.num_ack_pending > 0
            if busy:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet_s:
                return round(time.monotonic() - start, 2)
            await asyncio.sleep(0.1)
    finally:
        await nc.close()
    raise CountMismatch(f"consumers still busy after {timeout} s")


async def run_closer(nats_url: str, rate: float, duration: float, units: list[str], consumers: list[str],
                     plaza: str = PLAZA) -> dict:
    """``bench.closer`` in a process of its own: ``WorkOrderClosed`` at ``rate`` (as
    dispatch's relay publishes it), each close's latency until every one of ``consumers``
    acked it, and until the stream acknowledged storing it. Fails loudly on a lost effect."""
    cmd = [sys.executable, "-m", "bench.closer", nats_url, "--rate", str(rate), "--duration", str(duration),
           "--plaza", plaza, "--units", ",".join(units), "--consumers", ",".join(consumers)]
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"bench.closer exited with {proc.returncode}")
    closed = json.loads(out)
    if closed["missing"] or closed["errors"]:
        raise CountMismatch(f"end to end: {closed['missing']} effects never committed; {closed['errors']}")
    result = summarize(closed["latencies"], {}, 0, duration)
    result.update({"rate": rate, "closes": closed["closes"], "consumers": consumers,
                   "generator_cpu_ms_per_close": closed["cpu_ms_per_close"],
                   "stored": _percentiles(closed["stored"], duration)})
    result["per_consumer"] = {c: _percentiles(lat, duration) for c, lat in closed["per_consumer"].items()}
    return result


def _percentiles(latencies: list[float], duration: float) -> dict:
    return {k: v for k, v in summarize(latencies, {}, 0, duration).items() if k in ("p50_ms", "p99_ms")}


async def measure_e2e(nats_url: str, rate: float, duration: float, units: list[str]) -> dict:
    """``WorkOrderClosed`` published at a fixed rate (as dispatch's relay publishes it) →
    return visit scheduled (survey acks), charge posted (billing acks), timeline entry
    (archive acks). Each consumer acks only after its transaction committed, so the ack
    time is when the effect is durable. ``bench.closer`` publishes and watches the acks
    on ``$JS.ACK.DISPATCH.<consumer>.>`` from a process of its own."""
    return await run_closer(nats_url, rate, duration, units, await e2e_consumers(nats_url))


async def e2e_consumers(nats_url: str) -> list[str]:
    """The durables of survey, billing and archive that take a closed work order."""
    nc = await nats.connect(nats_url)
    try:
        return [c.name for c in await nc.jetstream().consumers_info("DISPATCH")
                if c.name.split("-")[0] in ("survey", "billing", "archive")
                and (c.config.filter_subject or "").endswith((".closed", ".>"))]
    finally:
        await nc.close()


async def measure_store_floor(work: Path, rate: float, duration: float, units: list[str], rounds: int,
                              *, sync_always: bool = True) -> dict:
    """The end-to-end run's floor: the same closes at the same rate into the same stream
    on a nats-server of its own (same settings) with nothing else running, timed until
    the stream acknowledged storing each. What the services add is the rest."""
    server = NatsServer(work / "nats-store-floor", sync_always=sync_always).start(work / "nats-store-floor.log")
    try:
        async with Bus(server.url) as bus:
            await bus.declare_streams()
        runs = []
        for _ in range(rounds):
            with floors.FsyncProbe(work) as probe:
                runs.append(await run_closer(server.url, rate, duration, units, []))
            runs[-1]["fsync_during_run"] = probe.summary()
        return {**median_run(runs, "p99_ms"), "runs": runs}
    finally:
        server.stop()


async def measure_e2e_rounds(nats_url: str, rate: float, duration: float, units: list[str], pids: dict[str, int],
                             rounds: int, work: Path) -> dict:
    """``measure_e2e`` ``rounds`` times, each from a settled system; the run with the
    median p99 is reported, with every run, the CPU each process spent per close, and how
    long a lone fsync took meanwhile (``floors.FsyncProbe``)."""
    runs = []
    for _ in range(rounds):
        waited = await wait_idle(nats_url)
        before = cpu_now(pids)
        with floors.FsyncProbe(work) as probe:
            run = await measure_e2e(nats_url, rate, duration, units)
        run["fsync_during_run"] = probe.summary()
        run["cpu_ms_per_close"] = ms_per(cpu_since(pids, before), run["closes"])
        run["waited_for_idle_s"] = waited
        runs.append(run)
    return {**median_run(runs, "p99_ms"), "runs": runs}


def check_e2e_counts(system: System, closes: int) -> dict:
    survey = sqlite3.connect(system.data_dir / "survey.db")
    visits = survey.execute("SELECT count(*) FROM visits WHERE plaza_id = ?", (PLAZA,)).fetchone()[0]
    billing = sqlite3.connect(system.data_dir / "billing.db")
    charges = billing.execute("SELECT count(*) FROM ledger_entries WHERE plaza_id = ? AND kind = 'charge'", (PLAZA,)).fetchone()[0]
    counts = {"closes": closes, "visits": visits, "charges": charges}
    if visits != closes or charges != closes:
        raise CountMismatch(f"end-to-end counts differ: {counts}")
    return counts


# --- consumers draining a backlog ------------------------------------------------------

def backlog_for(service: str, i: int, plaza: str):
    wo = str(uuid.uuid4())
    unit = f"U-{i % 500}"
    if service == "intake":
        return UnitRegistered(plaza_id=plaza, correlation_id=wo, unit=f"U-{i}", revision=1, area_m2=80, use="shop",
                              occupant=Occupant(name="Li", kind="merchant"))
    if service == "dispatch":
        return RequestReceived(plaza_id=plaza, correlation_id=wo, request_id=wo, unit=unit, channel="phone",
                               kind="service", text="the drain is blocked")
    return paid_close(plaza, unit)


DRAIN = {  # service → (stream, durable of its main consumer)
    "intake": ("ARCHIVE", "intake-archive"),
    "dispatch": ("INTAKE", "dispatch-request-received"),
    "billing": ("DISPATCH", "billing-work-order-closed"),
    "survey": ("DISPATCH", "survey-work-order-closed"),
    "archive": ("DISPATCH", "archive-dispatch"),
}


async def learn_facts(system: System, bus: Bus, service: str, plaza: str, units: int = 500) -> None:
    """The service learns the plaza and the units of its backlog first, as in a running
    system (a consumer applies nothing for a plaza or unit archive has not registered),
    and is stopped again: the drain starts with the backlog waiting."""
    system.logs.mkdir(parents=True, exist_ok=True)
    system.start_service(service)
    system.wait_ready([service])
    if service == "archive":  # its own register
        unit = {"area_m2": 80, "use": "shop", "occupant": {"name": "Li", "kind": "merchant"}}
        with httpx.Client(base_url=system.url("archive"), timeout=10, headers=AUTH) as archive:
            archive.put(f"/v1/plazas/{plaza}", json={"name": "Drain", "timezone": "Asia/Shanghai"}).raise_for_status()
            for i in range(units):
                archive.put(f"/v1/plazas/{plaza}/units/U-{i}", json=unit).raise_for_status()
    else:
        await bus.publish(PlazaRegistered(plaza_id=plaza, correlation_id="c", name="Drain", timezone="Asia/Shanghai"))
        for i in range(units):
            await bus.publish(backlog_for("intake", i, plaza))  # a UnitRegistered
        last = (await bus.js.stream_info("ARCHIVE")).state.last_seq
        deadline = time.monotonic() + 60
        while (await bus.js.consumer_info("ARCHIVE", f"{service}-archive")).ack_floor.stream_seq < last:
            if time.monotonic() > deadline:
                raise CountMismatch(f"{service} never learned the drain plaza's units")
            await asyncio.sleep(0.05)
    system.stop()


async def measure_drain(service: str, nats_url: str, work: Path, count: int, nats_pid: int | None = None) -> dict:
    system = System(work / f"drain-{service}", nats_url=nats_url, default_ports=False, env=bench_env())
    system.migrate()  # the services are started one by one below, not by System.start
    stream, durable = DRAIN[service]
    plaza = f"drain-{service}"
    async with Bus(nats_url) as bus:
        js = bus.js
        if service != "intake":  # intake's backlog is archive's facts themselves
            await learn_facts(system, bus, service, plaza)
        pending = []
        for i in range(count):
            event = backlog_for(service, i, plaza)
            pending.append(js.publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": event.id}))
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        last_seq = (await js.stream_info(stream)).state.last_seq
        # The stream also holds what earlier steps published (the other services' backlogs,
        # the end-to-end closes): the consumer drains all of it that it has not yet had, so
        # the rate counts every delivery it made, not only this service's own backlog.
        try:
            before = (await js.consumer_info(stream, durable)).delivered.consumer_seq
        except Exception:
            before = 0
        system.logs.mkdir(parents=True, exist_ok=True)
        system.start_service(service)
        pids = {service: system.procs[service].pid} | ({"nats-server": nats_pid} if nats_pid else {})
        cpu_before: dict = {}
        first = done = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                info = await js.consumer_info(stream, durable)
            except Exception:
                await asyncio.sleep(0.02)
                continue
            if first is None and info.num_ack_pending > 0 or (first is None and info.ack_floor.stream_seq > 0 and info.num_pending < count):
                first = time.perf_counter()
                cpu_before = cpu_now(pids)
            if info.ack_floor.stream_seq >= last_seq and info.num_ack_pending == 0 and info.num_pending == 0:
                done = time.perf_counter()
                delivered = info.delivered.consumer_seq - before
                cpu_ms = ms_per(cpu_since(pids, cpu_before), delivered)
                break
            await asyncio.sleep(0.01)
        # What the service published for the backlog (its relay may still be sending when
        # the consumer has acked everything): the rate counts until the last of it landed.
        published, last_output = 0, done
        if done is not None:
            published, last_output = await _output_settled(js, STREAMS[service].name, done)
    system.stop()
    if done is None or first is None:
        raise CountMismatch(f"{service} never drained its backlog")
    return {"events": delivered, "own_backlog": count, "seconds": round(done - first, 2),
            "events_per_s": round(delivered / (done - first), 1), "cpu_ms_per_event": cpu_ms,
            "published": published, "events_per_s_published": round(delivered / (last_output - first), 1)}


async def _output_settled(js, stream: str, done: float, quiet_s: float = 1.0) -> tuple[int, float]:
    """Messages in ``stream`` once it has stopped growing for ``quiet_s``, and when it last grew."""
    count, changed = -1, done
    while time.perf_counter() - changed < quiet_s:
        try:
            now = (await js.stream_info(stream)).state.messages
        except Exception:
            now = 0
        if now != count:
            if count >= 0:
                changed = time.perf_counter()
            count = now
        await asyncio.sleep(0.01)
    return count, changed


async def measure_drain_alone(service: str, work: Path, count: int, *, sync_always: bool = True) -> dict:
    """``measure_drain`` on a nats-server of its own (same settings), so that the consumer
    drains alone: on the shared server the other services' earlier output (work orders
    created, visits, charges) would be drained by the same process at the same time."""
    server = NatsServer(work / f"nats-{service}", sync_always=sync_always).start(work / f"nats-{service}.log")
    try:
        async with Bus(server.url) as bus:
            await bus.declare_streams()
        return await measure_drain(service, server.url, work, count, server.proc.pid)
    finally:
        server.stop()


# --- archive replay --------------------------------------------------------------------

async def measure_replay(system: System, nats_url: str) -> dict:
    """Archive rebuilds its projections by replaying every stream from the start."""
    from services.archive.projections.cli import rebuild
    from services.archive.settings import Settings as ArchiveSettings

    settings = ArchiveSettings(nats_url=nats_url, data_dir=str(system.data_dir), log_level="warning")
    t = time.perf_counter()
    report = await rebuild(settings, PLAZA)
    elapsed = time.perf_counter() - t
    return {"events": report.events, "filed": report.filed, "seconds": round(elapsed, 2),
            "events_per_s": round(report.events / elapsed, 1)}


# --- report ----------------------------------------------------------------------------

def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def _cpu(spent: dict) -> str:
    total = sum(v for v in spent.values() if v)
    return ", ".join(f"{n} {v}" for n, v in spent.items()) + f" (all {round(total, 2)})"


def _fsyncs(runs: list[dict]) -> str:
    def one(f: dict) -> str:
        return f"{f.get('p50_ms')} / {f.get('p99_ms')} / {f.get('max_ms')} ({f.get('over_5_ms')} of {f['count']})"

    return "  a lone fsync on the data disk during each run, p50 / p99 / max ms (how many over 5 ms): " + "; ".join(
        one(x["fsync_during_run"]) for x in runs if "fsync_during_run" in x)


def table(r: dict) -> str:
    f, lines = r["floors"], []
    lines.append(f"PlazaDesk bench — {r['machine']['when']} — {r['machine']['cpus']} CPUs, {r['machine']['python']}, nats-server sync_interval={r['nats']['sync_interval']}, SQLite WAL")
    lines.append("")
    i = r["intake"]
    rounds = len(i["fixed_rate"]["runs"])
    lines.append(f"intake POST /v1/plazas/{{plaza}}/requests (closed loop; medians of {rounds} rounds, each round intake and the http+js floor back to back)")
    lines.append(f"  {'conc':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} | {'floor http+js':>13} {'ratio':>6} {'each round':>18} | {'floor http':>10} {'floor js pub':>12}")
    for c, m in i["closed_loop"].items():
        hp, h, jp = i["floor"][c], f["http_post"][c], f["js_publish"][c]
        each = " / ".join(str(x) for x in i["ratio"][c]["rounds"])
        lines.append(f"  {c:>4} {m['rps']:>8} {m['p50_ms']:>7} {m['p99_ms']:>7} | {hp['rps']:>13} {i['ratio'][c]['median']:>6} {each:>18} | {h['rps']:>10} {jp['rps']:>12}")
    fr = i["fixed_rate"]
    lines.append(f"  fixed rate {fr['rate']}/s (50% of max): median run p50 {fr['p50_ms']} ms, p99 {fr['p99_ms']} ms; p99 of each run "
                 + " / ".join(str(x["p99_ms"]) for x in fr["runs"]) + f" ms; {sum(x['count'] for x in fr['runs'])} requests")
    ff = i["floor_fixed_rate"]
    lines.append(f"  floor http+js at the same rate (services paused): median run p50 {ff['p50_ms']} ms, p99 {ff['p99_ms']} ms; p99 of each run "
                 + " / ".join(str(x["p99_ms"]) for x in ff["runs"]) + f" ms; p99 ratio intake to floor {ratio(fr['p99_ms'], ff['p99_ms'])}")
    lines.append(_fsyncs(fr["runs"]))
    lines.append(f"  counts: {r['checks']['intake']}")
    lines.append(f"  CPU ms per request at concurrency {max(r['intake']['closed_loop'])}: {_cpu(r['intake']['cpu_ms_per_request'])}")
    lines.append("")
    lines.append(f"consumers draining a backlog, each alone on a fresh nats-server (floor: bare pull+ack {f['pull_consume']['events_per_s']}/s, bare batched SQLite insert {f['sqlite_insert']['rows_per_s']} rows/s)")
    for svc, m in r["consumers"].items():
        lines.append(f"  {svc:<9} {m['events_per_s']:>9} events/s  ({m['events']} in {m['seconds']} s)  ratio to pull floor {ratio(m['events_per_s'], f['pull_consume']['events_per_s'])}"
                     + (f"; {m['published']} published, {m['events_per_s_published']}/s until the last landed" if m.get("published") else "")
                     + (f"; CPU ms per event {_cpu(m['cpu_ms_per_event'])}" if m.get("cpu_ms_per_event") else ""))
    e = r["e2e"]
    lines.append("")
    lines.append(f"end to end WorkOrderClosed → visit + charge + timeline, {e['rate']}/s, {len(e['runs'])} runs of {e['closes']} closes:"
                 f" median run p50 {e['p50_ms']} ms, p99 {e['p99_ms']} ms, max {e['max_ms']} ms; p99 of each run "
                 + " / ".join(str(x["p99_ms"]) for x in e["runs"]) + " ms")
    lines.append("  each effect alone (median run): " + ", ".join(
        f"{c} p50 {m['p50_ms']} / p99 {m['p99_ms']} ms" for c, m in e.get("per_consumer", {}).items()))
    st = f["store"]
    lines.append(f"  the close stored on the stream (its publish ack), median run: p50 {e['stored']['p50_ms']} / p99 {e['stored']['p99_ms']} ms;"
                 f" floor, the same closes into a nats-server of their own with nothing else running: p50 {st['p50_ms']} / p99 {st['p99_ms']} ms"
                 " (p99 of each run " + " / ".join(str(x["p99_ms"]) for x in st["runs"]) + f" ms); end-to-end p99 to floor p99 {ratio(e['p99_ms'], st['p99_ms'])}")
    lines.append(_fsyncs(e["runs"]))
    lines.append(f"  counts: {r['checks']['e2e']}")
    lines.append(f"  CPU ms per close (median run): {_cpu(e['cpu_ms_per_close'])}; the load generator (bench.closer) "
                 f"{e.get('generator_cpu_ms_per_close')}")
    if r.get("console"):
        from bench import console

        lines.append("")
        lines.append(console.table(r["console"]))
    if r.get("replay"):
        p = r["replay"]
        lines.append(f"archive replay rebuild: {p['events']} events from all streams in {p['seconds']} s = {p['events_per_s']} events/s ({p['filed']} filed for plaza {PLAZA})")
    if r.get("triage"):
        lines += ["", triage.table(r["triage"])]
    if r.get("postgres"):
        from bench import scale

        lines += ["", scale.table(r["postgres"])]
    return "\n".join(lines)


async def main_async(args) -> dict:
    levels = [int(x) for x in args.levels.split(",")]
    work = Path(tempfile.mkdtemp(prefix="plazadesk-bench-"))
    server = NatsServer(work / "nats", sync_always=not args.no_sync).start(work / "nats.log")
    result: dict = {
        "machine": {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "platform": platform.platform()},
        "nats": {"sync_interval": "default (2m)" if args.no_sync else "always"},
        "checks": {},
    }
    print("triage…", flush=True)
    result["triage"] = triage.measure()  # in this process, before anything else shares the cores
    floor_proc, floor_port = floors.http_floor_server(server.url, work / "floor_app.log")
    try:
        wait_http(f"http://127.0.0.1:{floor_port}/v1/echo")
        wait_http(f"http://127.0.0.1:{floor_port}/v1/publish")
        print("floors…", flush=True)
        result["floors"] = await measure_floors(server.url, work, args.duration, levels, floor_port)
        units = [f"A-{i}" for i in range(200, 220)]
        result["floors"]["store"] = await measure_store_floor(work, args.e2e_rate, args.duration, units, args.rounds,
                                                              sync_always=not args.no_sync)
        print("system…", flush=True)
        system = System(work / "system", nats_url=server.url, default_ports=False, env=bench_env()).start()
        try:
            seed(system, ["A-203", *units])
            pids = {name: proc.pid for name, proc in system.procs.items()} | {"nats-server": server.proc.pid}
            print("intake…", flush=True)
            result["intake"] = await measure_intake(system, server.url, args.duration, levels, pids,
                                                    f"http://127.0.0.1:{floor_port}/v1/publish", args.rounds)
            floor_proc.terminate()  # done with: the rest of the run has both cores
            floor_proc.wait()
            result["checks"]["intake"] = await check_intake_counts(system, server.url, accepted_total(result["intake"]))
            print("end to end…", flush=True)
            result["e2e"] = await measure_e2e_rounds(server.url, args.e2e_rate, args.duration, units, pids, args.rounds,
                                                     work)
            time.sleep(1)
            result["checks"]["e2e"] = check_e2e_counts(system, sum(r["closes"] for r in result["e2e"]["runs"]))
        finally:
            system.stop()
        print("archive replay…", flush=True)
        result["replay"] = await measure_replay(system, server.url)
        result["consumers"] = {}
        for service in DRAIN:  # each service whose main consumer carries volume
            print(f"drain {service}…", flush=True)
            result["consumers"][service] = await measure_drain_alone(service, work, args.backlog, sync_always=not args.no_sync)
        if not args.no_console:
            # Imported here: bench.console uses this module's helpers.
            from bench import console

            print("console…", flush=True)
            result["console"] = await console.measure(work / "console", args.console_users, args.duration,
                                                      args.console_events, sync_always=not args.no_sync)
        if args.db == "both":
            from bench import scale

            print("PostgreSQL, replicas…", flush=True)
            result["postgres"] = await scale.measure(work / "postgres", duration=args.duration,
                                                     concurrency=max(levels), e2e_rate=args.pg_e2e_rate,
                                                     backlog=args.pg_backlog, sync_always=not args.no_sync)
    finally:
        if floor_proc.poll() is None:  # a step before the end of intake failed
            floor_proc.terminate()
            floor_proc.wait()
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each point; medians are reported")
    ap.add_argument("--e2e-rate", type=float, default=500)
    ap.add_argument("--backlog", type=int, default=20_000)
    ap.add_argument("--console-users", type=int, default=8, help="signed-in users requesting the console's pages")
    ap.add_argument("--console-events", type=int, default=50, help="requests timed until the console's live queue hears")
    ap.add_argument("--no-console", action="store_true", help="leave out the console (bench.console alone measures it)")
    ap.add_argument("--no-sync", action="store_true", help="nats-server without fsync per write")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (databases, streams, logs)")
    ap.add_argument("--db", choices=("sqlite", "both"), default="both" if os.environ.get("PLAZADESK_BENCH_PG") == "1" else "sqlite",
                    help="both: PostgreSQL with replicas beside SQLite (bench.scale); PLAZADESK_BENCH_PG=1 too")
    ap.add_argument("--pg-e2e-rate", type=float, default=200, help="closes/s of the PostgreSQL end-to-end run")
    ap.add_argument("--pg-backlog", type=int, default=5000, help="events of each PostgreSQL drain")
    args = ap.parse_args()
    result = uvloop.run(main_async(args))  # the services' event loop; lighter on the CPU they share
    report(table(result), result, result["machine"]["when"])
    return 0


def report(printed: str, result: dict, stem: str) -> None:
    """The table on the terminal, the figures as JSON in bench/results/<stem>.json."""
    print()
    print(printed)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem.replace(':', '')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    sys.exit(main())
