"""Raw floors on the same machine, in the same run, with the same nats-server settings."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import nats

from scripts.natsserver import free_port
from scripts.system import ROOT

from bench.loadgen import summarize


def http_floor_server(nats_url: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "FLOOR_PORT": str(port), "FLOOR_NATS_URL": nats_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bench.floor_app"], cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    return proc, port


async def js_publish(nats_url: str, concurrency: int, duration: float) -> dict:
    """Bare JetStream publish with ack: ``concurrency`` publishers, each awaiting its ack."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="FLOOR_PUB", subjects=["floor.pub"])
    latencies: list[float] = []
    end = time.perf_counter() + duration
    payload = b'{"channel":"phone","unit":"A-203","text":"the drain is blocked"}'

    async def publisher(n: int) -> None:
        i = 0
        while time.perf_counter() < end:
            t = time.perf_counter()
            await js.publish("floor.pub", payload, headers={"Nats-Msg-Id": f"{n}-{i}"})
            latencies.append(time.perf_counter() - t)
            i += 1

    await asyncio.gather(*(publisher(n) for n in range(concurrency)))
    await js.delete_stream("FLOOR_PUB")
    await nc.close()
    return summarize(latencies, {}, 0, duration)


async def pull_consume(nats_url: str, count: int, batch: int = 200) -> dict:
    """Bare durable pull consumer: fetch batches and ack every message."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="FLOOR_PULL", subjects=["floor.pull"])
    payload = b"x" * 400
    pending = []
    for i in range(count):
        pending.append(js.publish("floor.pull", payload))
        if len(pending) >= 1000:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    sub = await js.pull_subscribe("floor.pull", durable="floor")
    got = 0
    t = time.perf_counter()
    while got < count:
        msgs = await sub.fetch(batch, timeout=5)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    await nc.flush()
    elapsed = time.perf_counter() - t
    await js.delete_stream("FLOOR_PULL")
    await nc.close()
    return {"count": count, "events_per_s": round(count / elapsed, 1)}


def sqlite_batched_insert(path: Path, rows: int = 100_000, batch: int = 1000) -> dict:
    """Bare batched SQLite insert in WAL / synchronous=NORMAL, one transaction per batch."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, plaza TEXT, unit TEXT, body BLOB, at TEXT)")
    data = [(f"{i:012d}", "p1", "A-203", b"x" * 300, "2026-11-27T10:00:00Z") for i in range(rows)]
    t = time.perf_counter()
    for start in range(0, rows, batch):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", data[start:start + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t
    conn.close()
    return {"rows": rows, "rows_per_s": round(rows / elapsed, 1)}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


class FsyncProbe:
    """A lone fsync on the data disk, ``rate`` times a second, in a thread of its own,
    while something else runs: how long the disk made a commit wait at that moment.
    nats-server (``sync_interval: always``) and every SQLite commit wait for one; on a
    shared host's virtual disk, most take a fraction of a millisecond and a few take tens.
    Light on purpose (50 a second beside the system's thousands), so it does not add
    much of what it measures."""

    def __init__(self, folder: Path, rate: float = 50) -> None:
        self.path = Path(folder) / "fsync-probe"
        self.interval = 1.0 / rate
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fsync-probe", daemon=True)

    def __enter__(self) -> "FsyncProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            while not self._stop.wait(self.interval):
                os.write(fd, b"x" * 200)
                t = time.perf_counter()
                os.fsync(fd)
                self.latencies.append(time.perf_counter() - t)
        finally:
            os.close(fd)
            self.path.unlink(missing_ok=True)

    def summary(self) -> dict:
        found = summarize(self.latencies, {}, 0, 1.0)
        return {**{k: found[k] for k in ("count", "p50_ms", "p99_ms", "max_ms")},
                "over_5_ms": sum(1 for x in self.latencies if x > 0.005)}
