"""A small HTTP/1.1 load generator: keep-alive connections on raw asyncio streams, so the
client costs far less CPU than the server it measures. Run as its own process:

    python -m bench.loadgen URL[,URL…] --concurrency 32 --duration 5 [--rate 500] --body JSON \
        [--header 'Authorization: Bearer <token>']

Closed loop (no --rate): each connection sends its next request when the previous answer
is in. Open loop (--rate): requests are due on a fixed schedule and latency is measured
from when each was due, so a stall is not hidden (no coordinated omission).
Prints one JSON line: count, errors, statuses, rps, p50/p90/p99/max in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

import uvloop


def build_request(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    head = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
            "Content-Type: application/json", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return parts.hostname, parts.port, ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def one(reader, writer, payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run(url: str, concurrency: int, duration: float, rate: float | None, body: bytes, warmup: float,
              headers: dict[str, str] | None = None) -> dict:
    # Several URLs (one plaza's path each, one server): the connections take them in turn.
    built = [build_request(u, body, headers or {}) for u in url.split(",")]
    host, port, _ = built[0]
    conns = [await asyncio.open_connection(host, port) for _ in range(concurrency)]
    payloads = {id(w): built[i % len(built)][2] for i, (_, w) in enumerate(conns)}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    every_status: dict[int, int] = {}  # warm-up included: what the server accepted in all
    errors = 0
    start = time.perf_counter() + warmup
    end = start + duration

    async def closed_loop(reader, writer):
        nonlocal errors
        while (now := time.perf_counter()) < end:
            try:
                status = await one(reader, writer, payloads[id(writer)])
            except Exception:
                errors += 1
                return
            every_status[status] = every_status.get(status, 0) + 1
            if now >= start:
                latencies.append(time.perf_counter() - now)
                statuses[status] = statuses.get(status, 0) + 1

    async def open_loop():
        free: asyncio.Queue = asyncio.Queue()
        for c in conns:
            free.put_nowait(c)
        interval = 1.0 / rate
        due = time.perf_counter()
        tasks = []

        async def fire(due_at: float, conn):
            nonlocal errors
            try:
                status = await one(*conn, payloads[id(conn[1])])
                every_status[status] = every_status.get(status, 0) + 1
                if due_at >= start:
                    latencies.append(time.perf_counter() - due_at)
                    statuses[status] = statuses.get(status, 0) + 1
            except Exception:
                errors += 1
            finally:
                free.put_nowait(conn)

        while due < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            conn = await free.get()
            tasks.append(asyncio.create_task(fire(due, conn)))
            due += interval
        await asyncio.gather(*tasks)

    if rate:
        await open_loop()
    else:
        await asyncio.gather(*(closed_loop(r, w) for r, w in conns))
    for _, w in conns:
        w.close()
    result = summarize(latencies, statuses, errors, duration)
    result["all_statuses"] = every_status
    return result


def summarize(latencies: list[float], statuses: dict, errors: int, duration: float) -> dict:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 2) if ms else float("nan")

    return {
        "count": len(ms), "errors": errors, "statuses": statuses,
        "rps": round(len(ms) / duration, 1),
        "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": round(ms[-1], 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rate", type=float, default=None)
    ap.add_argument("--body", default="{}")
    ap.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                    help="a header sent with every request, e.g. 'Authorization: Bearer <token>' (repeatable)")
    args = ap.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {name.strip(): value.strip() for name, value in headers.items()}
    result = uvloop.run(run(args.url, args.concurrency, args.duration, args.rate, args.body.encode(), args.warmup,
                            headers))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
