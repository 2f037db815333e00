"""The end-to-end load generator: ``WorkOrderClosed`` at a fixed rate, and the moment each
consumer acknowledged it (after its transaction committed). Run as its own process:

    python -m bench.closer NATS_URL --rate 500 --duration 5 --plaza bench --units A-200,A-201 \
        --consumers billing-work-order-closed,survey-work-order-closed,archive-dispatch

It speaks the NATS protocol on one raw asyncio connection, as ``bench.loadgen`` speaks
HTTP: the events are encoded before the clock starts, each is one HPUB (with its
``Nats-Msg-Id``, as dispatch's relay sends it) whose JetStream acknowledgement comes back
on a reply subject of ours, and the consumers' acknowledgements are watched on
``$JS.ACK.DISPATCH.<consumer>.>``, their subjects read without building a message object.
Through nats-py (a task per publish acknowledgement, a message object and a callback per
observed ack) the generator itself took 0.37-0.42 ms of CPU per close: a fifth of a core at
500 closes/s, taken from the two cores it measures.

Latency is measured from when each close was due (a stall of the generator is not hidden).
Prints one JSON line: for each close the latency until every consumer acknowledged it, and
each consumer's own; the latency until the stream acknowledged storing it (the part of the
path that is nats-server's alone); how many effects never came within the wait. With no
``--consumers`` it measures only that store: the end-to-end run's floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from urllib.parse import urlsplit

import msgspec
import uvloop

from libs.contracts import subject_for
from libs.contracts.events import ChargeLine, WorkOrderClosed, encode

INBOX = "_INBOX.bench-closer"


def paid_close(plaza: str, unit: str) -> WorkOrderClosed:
    """A paid work order closed with one labour line (a fresh work order each time)."""
    wo = str(uuid.uuid4())
    return WorkOrderClosed(
        plaza_id=plaza, correlation_id=wo, work_order_id=wo, request_id=wo, unit=unit, department="engineering",
        paid=True, charge_lines=[ChargeLine(line_id=f"{wo}:1", kind="labour", description="labour", quantity=1,
                                            unit_price_fen=5000, amount_fen=5000)],
    )


def closes(n: int, plaza: str, units: list[str]) -> list[bytes]:
    """The HPUB commands of ``n`` paid closes spread over ``units``; the reply subject of
    the i-th ends in i."""
    out = []
    plazas = plaza.split(",")  # several: the closes go to each in turn
    for i in range(n):
        event = paid_close(plazas[i % len(plazas)], units[i % len(units)])
        headers = b"NATS/1.0\r\nNats-Msg-Id: %s\r\n\r\n" % event.id.encode()
        payload = encode(event)
        out.append(b"HPUB %s %s.%d %d %d\r\n%s%s\r\n" % (
            subject_for(event).encode(), INBOX.encode(), i, len(headers), len(headers) + len(payload),
            headers, payload))
    return out


def parse_ack(subject: str) -> tuple[str, int] | None:
    """(consumer, stream sequence) of a JetStream ack subject."""
    t = subject.split(".")
    if len(t) == 9:  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        return t[3], int(t[5])
    if len(t) >= 11:  # v2: $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>…
        return t[5], int(t[7])
    return None


_decode_ack = msgspec.json.Decoder(dict).decode


class Watcher(asyncio.Protocol):
    """Reads MSG/HMSG/PING from the server; records publish acks and consumer acks."""

    def __init__(self, consumers: list[str]) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.ready = asyncio.get_running_loop().create_future()
        self.sent_seq: dict[int, int] = {}  # close index → stream sequence
        self.stored: dict[int, float] = {}  # close index → when its publish ack came (stored on the stream)
        self.acked: dict[str, dict[int, float]] = {c: {} for c in consumers}
        self.errors: list[str] = []

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buffer
        buf += data
        while True:
            end = buf.find(b"\r\n")
            if end < 0:
                return
            line = bytes(buf[:end])
            if line.startswith((b"MSG ", b"HMSG ")):
                parts = line.split()
                size = int(parts[-1])
                if len(buf) < end + 2 + size + 2:
                    return  # the payload is still on its way
                payload = bytes(buf[end + 2:end + 2 + size])
                del buf[:end + 2 + size + 2]
                self._message(parts, payload, now)
                continue
            del buf[:end + 2]
            if line == b"PING":
                self.transport.write(b"PONG\r\n")
            elif line == b"PONG" and not self.ready.done():
                self.ready.set_result(None)
            elif line.startswith(b"-ERR"):
                self.errors.append(line.decode())

    def _message(self, parts: list[bytes], payload: bytes, now: float) -> None:
        subject = parts[1].decode()
        if subject.startswith(INBOX):
            if parts[0] == b"HMSG":  # a status (503: no stream took it): no sequence
                self.errors.append(f"close {subject} refused: {payload[:200]!r}")
                return
            ack = _decode_ack(payload)
            if "seq" in ack:
                i = int(subject.rsplit(".", 1)[1])
                self.sent_seq[i] = ack["seq"]
                self.stored[i] = now
            else:
                self.errors.append(f"close {subject}: {ack}")
            return
        if payload not in (b"", b"+ACK"):
            return  # a nak, a progress mark or a term: not the effect committed
        parsed = parse_ack(subject)
        if parsed and parsed[0] in self.acked:
            self.acked[parsed[0]].setdefault(parsed[1], now)


async def run(url: str, rate: float, duration: float, plaza: str, units: list[str], consumers: list[str],
              wait_s: float) -> dict:
    n = int(rate * duration)
    messages = closes(n, plaza, units)
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    transport, watcher = await loop.create_connection(lambda: Watcher(consumers), parts.hostname, parts.port)
    subs = b"".join(b"SUB $JS.ACK.DISPATCH.%s.> %d\r\n" % (c.encode(), i) for i, c in enumerate(consumers, 2))
    transport.write(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,'
                    b'"name":"bench-closer"}\r\n' + b"SUB %s.* 1\r\n" % INBOX.encode() + subs + b"PING\r\n")
    await asyncio.wait_for(watcher.ready, 10)
    due: list[float] = []
    start = time.perf_counter() + 0.05
    interval = 1.0 / rate
    cpu_start = time.process_time()
    for i, command in enumerate(messages):
        at = start + i * interval
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        transport.write(command)
        due.append(at)
    deadline = time.perf_counter() + wait_s
    while time.perf_counter() < deadline and not _all_in(watcher, n):
        await asyncio.sleep(0.05)
    cpu_ms_per_close = round(1000 * (time.process_time() - cpu_start) / n, 3)
    transport.close()
    missing = n - len(watcher.sent_seq) + sum(
        1 for seq in watcher.sent_seq.values() for c in consumers if seq not in watcher.acked[c])
    per_consumer = {c: [] for c in consumers}
    stored = [t - due[i] for i, t in watcher.stored.items()]
    latencies = []
    for i, seq in sorted(watcher.sent_seq.items()):
        times = [watcher.acked[c].get(seq) for c in consumers]
        if None in times:
            continue
        for c, t in zip(consumers, times):
            per_consumer[c].append(t - due[i])
        latencies.append((max(times) if times else watcher.stored[i]) - due[i])  # no consumers: the store alone
    return {"closes": n, "published": len(watcher.sent_seq), "missing": missing, "errors": watcher.errors[:20],
            "latencies": latencies, "stored": stored, "per_consumer": per_consumer, "cpu_ms_per_close": cpu_ms_per_close}


def _all_in(watcher: Watcher, n: int) -> bool:
    return len(watcher.sent_seq) == n and all(
        seq in acked for acked in watcher.acked.values() for seq in watcher.sent_seq.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--plaza", default="bench", help="a plaza, or several comma-separated")
    ap.add_argument("--units", required=True, help="comma-separated units the closes are spread over")
    ap.add_argument("--consumers", default="",
                    help="comma-separated durable names whose acks count (none: the stream's store alone)")
    ap.add_argument("--wait", type=float, default=60, help="seconds to wait for the last effects")
    args = ap.parse_args()
    result = uvloop.run(run(args.url, args.rate, args.duration, args.plaza, args.units.split(","),
                            [c for c in args.consumers.split(",") if c], args.wait))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
