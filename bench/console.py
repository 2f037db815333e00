"""The console's figures: page server time under concurrent clerks, and how soon an open
queue hears of a new work order.

``python -m bench.console [--users 8] [--duration 5] [--events 50]`` starts its own
nats-server (``sync_interval: always``) and the whole system on free ports (the services
verify the staff service's own tokens: the console signs people in through it), loads the
demo plaza and its demo users, then measures:

- *live*: a signed-in clerk holds ``GET /live?topics=work-orders`` open (Server-Sent
  Events) while requests are posted one at a time to intake with a bearer token from
  staff's ``POST /v1/token``; each is timed from the POST's answer until the stream's
  ``work-orders`` event arrives, and until a plain NATS subscriber in this process saw
  dispatch's work-order event (the part before the console). Each request starts from a
  settled system (every consumer has acknowledged everything), so a nudge is not the
  previous request's late one. The difference of the two is the console's own part.
- *pages*: ``--users`` virtual users each sign in once through the console's ``/login``
  form (the CSRF token from the login page, cookies kept), then request a page in a loop
  for ``--duration`` seconds: the desk, the work-order queue and its live partial, and
  the layout alone (``/no-access``: the session, the menu and the template with no call
  to a service). A page that answers 404 (not built yet) is reported as not found. The
  floor: the same number of ``GET /health`` from the same users, a route that does nothing.

Prints a table and writes JSON to bench/results/console-<UTC time>.json. Latencies are
measured by the client on loopback; the load generator shares the two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import nats
import uvloop

from bench.run import cpu_now, cpu_since, report, wait_idle
from scripts import demo
from scripts.natsserver import NatsServer
from scripts.system import System

PAGES = (  # (name, path, headers): the rows partial is what htmx fetches on a nudge
    # The layout alone (session, token check, menu, template) with no call to a service:
    # what every page pays before its own calls.
    ("layout only", "/no-access", {}),
    ("desk", "/desk", {}),
    ("work-orders", "/work-orders", {}),
    ("work-orders rows", "/work-orders/rows", {"HX-Request": "true"}),
)
CLERK = "demo-clerk"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
REQUEST = {"channel": "phone", "unit": "A-203", "text": "卫生间下水道堵了 the drain is blocked",
           "contact": {"name": "Li Ming", "phone": "13800000203"}}


def percentiles(seconds: list[float]) -> dict:
    ms = sorted(x * 1000 for x in seconds)

    def pct(p: float) -> float | None:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 2) if ms else None

    return {"count": len(ms), "p50_ms": pct(0.50), "p95_ms": pct(0.95), "max_ms": round(ms[-1], 2) if ms else None,
            "mean_ms": round(statistics.fmean(ms), 2) if ms else None}


# --- signing in --------------------------------------------------------------------------

async def signed_in(base_url: str, username: str, password: str) -> httpx.AsyncClient:
    """A client with the console's session cookie, signed in through the login form as a
    browser is: the login page's CSRF token posted back with the cookie it came with."""
    client = httpx.AsyncClient(base_url=base_url, timeout=30, follow_redirects=False)
    page = await client.get("/login")
    page.raise_for_status()
    token = CSRF.search(page.text)
    if token is None:
        raise RuntimeError("the login page has no CSRF token field (_csrf_token)")
    answer = await client.post("/login", data={"_csrf_token": token.group(1), "username": username,
                                               "password": password, "next": ""})
    if answer.status_code != 303 or answer.headers.get("location", "").startswith("/login"):
        raise RuntimeError(f"signing in as {username} answered {answer.status_code}: {answer.text[:300]}")
    return client


# --- pages -------------------------------------------------------------------------------

class User:
    """A signed-in virtual user's keep-alive connection, speaking HTTP/1.1 on raw asyncio
    streams (``bench.loadgen``'s way): httpx would cost the shared cores more than the
    console's layout does, and the client's time would be counted as the page's."""

    def __init__(self, base_url: str, cookies: httpx.Cookies) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in cookies.jar)
        self.reader = self.writer = None

    async def open(self) -> "User":
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    def request(self, path: str, headers: dict[str, str]) -> bytes:
        head = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Cookie: {self.cookie}",
                *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode()

    async def get(self, payload: bytes) -> int:
        """One request on the open connection; the whole answer read (a page may come
        chunked), its status returned."""
        self.writer.write(payload)
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        if b"transfer-encoding: chunked" in head:
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")  # no trailers are sent: the closing empty line
            return status
        found = re.search(rb"\r\ncontent-length: *(\d+)", head)
        if found:
            await self.reader.readexactly(int(found.group(1)))
        return status

    def close(self) -> None:
        self.writer.close()


async def measure_page(users: list[User], path: str, headers: dict, duration: float, console_pid: int,
                       count: int | None = None, warmup: int = 2) -> dict:
    """Every user requests ``path`` in a loop (closed loop) for ``duration`` seconds, or
    ``count`` requests in all when given (the floor repeats a page's number)."""
    payloads = [u.request(path, headers) for u in users]
    if await users[0].get(payloads[0]) == 404:
        return {"path": path, "found": False}
    for user, payload in zip(users, payloads):  # templates compiled, caches warm: not counted
        for _ in range(warmup):
            await user.get(payload)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    left = [count] if count is not None else None
    end = time.perf_counter() + duration
    me = {"console": console_pid, "client": os.getpid()}
    cpu_before = cpu_now(me)

    async def loop(user: User, payload: bytes) -> None:
        while True:
            if left is not None:
                if left[0] <= 0:
                    return
                left[0] -= 1
            elif time.perf_counter() >= end:
                return
            t = time.perf_counter()
            status = await user.get(payload)
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(u, p) for u, p in zip(users, payloads)))
    elapsed = time.perf_counter() - started
    cpu = cpu_since(me, cpu_before)
    per = {n: round(1000 * v / len(latencies), 2) if latencies else None for n, v in cpu.items()}
    return {"path": path, "found": True, **percentiles(latencies), "statuses": statuses,
            "rps": round(len(latencies) / elapsed, 1), "seconds": round(elapsed, 2),
            "console_cpu_ms_per_request": per["console"], "client_cpu_ms_per_request": per["client"]}


async def measure_pages(system: System, password: str, users: int, duration: float) -> dict:
    base = system.url("console")
    signed = []
    for _ in range(users):  # each signs in once through the form, as a browser does
        client = await signed_in(base, CLERK, password)
        signed.append(await User(base, client.cookies).open())
        await client.aclose()
    pid = system.procs["console"].pid
    try:
        out: dict = {"users": users, "pages": {}}
        for name, path, headers in PAGES:
            print(f"  page {path}…", flush=True)
            out["pages"][name] = await measure_page(signed, path, headers, duration, pid)
        counts = [p["count"] for p in out["pages"].values() if p["found"]]
        # The floor: as many requests as the busiest page made, of a route that does nothing.
        out["floor"] = await measure_page(signed, "/health", {}, duration, pid,
                                          count=max(counts) if counts else users * 50)
        return out
    finally:
        for user in signed:
            user.close()


# --- live updates --------------------------------------------------------------------------

async def measure_live(system: System, nats_url: str, password: str, events: int) -> dict:
    """A request posted to intake → the clerk's open queue hears ``work-orders`` (SSE)."""
    clerk = await signed_in(system.url("console"), CLERK, password)
    token = httpx.post(f"{system.url('staff')}/v1/token", json={"username": CLERK, "password": password}, timeout=10)
    token.raise_for_status()
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    heard: asyncio.Queue[float] = asyncio.Queue()  # when each work-orders nudge arrived
    on_bus: asyncio.Queue[float] = asyncio.Queue()  # when dispatch's work-order event was published
    ready = asyncio.Event()

    async def listen() -> None:
        async with clerk.stream("GET", "/live?topics=work-orders", timeout=httpx.Timeout(10, read=None)) as r:
            if r.status_code != 200:
                raise RuntimeError(f"GET /live answered {r.status_code}")
            async for line in r.aiter_lines():
                if line == "event: ready":
                    ready.set()
                elif line == "event: work-orders":
                    heard.put_nowait(time.perf_counter())

    nc = await nats.connect(nats_url)

    async def on_event(msg) -> None:
        if ".work_order." in msg.subject:
            on_bus.put_nowait(time.perf_counter())

    await nc.subscribe(f"plazadesk.dispatch.{demo.PLAZA}.>", cb=on_event)
    await nc.flush()
    reader = asyncio.create_task(listen())
    sse, bus, console, early = [], [], [], 0
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with httpx.AsyncClient(base_url=system.url("intake"), headers=auth, timeout=10) as intake:
            for _ in range(events):
                await wait_idle(nats_url, quiet_s=0.2)  # the previous request's aftermath all done
                for q in (heard, on_bus):
                    while not q.empty():
                        q.get_nowait()
                r = await intake.post(f"/v1/plazas/{demo.PLAZA}/requests", json=REQUEST)
                answered = time.perf_counter()
                if r.status_code != 202:
                    raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")
                arrived = await asyncio.wait_for(heard.get(), 10)
                published = await asyncio.wait_for(on_bus.get(), 10)
                early += arrived < answered  # the nudge beat the POST's answer to the client
                sse.append(max(0.0, arrived - answered))
                bus.append(max(0.0, published - answered))
                console.append(max(0.0, arrived - published))  # the console's own part
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await clerk.aclose()
        await nc.close()
    return {"requests": events, "sse": percentiles(sse), "nats": percentiles(bus), "console": percentiles(console),
            "before_the_answer": early}


# --- the run -------------------------------------------------------------------------------

async def measure(work: Path, users: int, duration: float, events: int, sync_always: bool = True) -> dict:
    """The whole console measurement on a nats-server and a system of its own (``make
    bench``'s system verifies a test key's tokens; the console needs staff's)."""
    server = NatsServer(work / "nats", sync_always=sync_always).start(work / "nats.log")
    system = System(work / "system", nats_url=server.url, default_ports=False)
    try:
        print("console: starting the system…", flush=True)
        system.start()
        auth = demo.operator_headers(system.url("staff"), system.operator_password())
        demo.load(system.url("archive"), headers=auth)
        password = dict((u, p) for u, _, p in demo.load_staff(system.url("staff"), auth, system.data_dir))[CLERK]
        print(f"console: live updates ({events} requests)…", flush=True)
        live = await measure_live(system, server.url, password, events)
        await wait_idle(server.url)
        print(f"console: pages ({users} users, {duration} s each)…", flush=True)
        pages = await measure_pages(system, password, users, duration)
        return {"live": live, **pages}
    finally:
        system.stop()
        server.stop()


def table(r: dict) -> str:
    lines = [f"console pages, {r['users']} signed-in users in a closed loop (the queue holds the work orders the live "
             "run made); client-side latency on loopback"]
    lines.append(f"  {'page':<18} {'path':<19} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/req console':>19} "
                 f"{'client':>6}  statuses")
    for name, p in [*r["pages"].items(), ("floor", r["floor"])]:
        if not p["found"]:
            lines.append(f"  {name:<18} {p['path']:<19} not found (404): not built yet")
            continue
        lines.append(f"  {name:<18} {p['path']:<19} {p['rps']:>7} {p['p50_ms']:>7} {p['p95_ms']:>7} "
                     f"{p['console_cpu_ms_per_request']:>19} {p['client_cpu_ms_per_request']:>6}  {p['statuses']}")
    lv = r["live"]
    lines.append(f"console live queue, {lv['requests']} requests posted one at a time, from the POST's answer:")
    lines.append(f"  SSE work-orders event at the clerk's open queue: p50 {lv['sse']['p50_ms']} / p95 {lv['sse']['p95_ms']}"
                 f" / max {lv['sse']['max_ms']} ms")
    lines.append(f"  dispatch's work-order event on NATS (plain subscriber): p50 {lv['nats']['p50_ms']} / p95 "
                 f"{lv['nats']['p95_ms']} / max {lv['nats']['max_ms']} ms; nudges before the answer: {lv['before_the_answer']}")
    lines.append(f"  the console's part (NATS event → SSE event, each request): p50 {lv['console']['p50_ms']} / p95 "
                 f"{lv['console']['p95_ms']} / max {lv['console']['max_ms']} ms")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=8, help="signed-in virtual users requesting pages at once")
    ap.add_argument("--duration", type=float, default=5, help="seconds each page is requested")
    ap.add_argument("--events", type=int, default=50, help="requests posted for the live-update latency")
    ap.add_argument("--no-sync", action="store_true", help="nats-server without fsync per write")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (databases, streams, logs)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plazadesk-bench-console-"))
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        result = uvloop.run(measure(work, args.users, args.duration, args.events, sync_always=not args.no_sync))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"] = {"when": when, "cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform()}
    report(table(result), result, f"console-{when}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
