"""The shared runtime when the broker refuses an event, closes the connection, refuses
pulls, or is a cluster with a server down: the service carries on without a restart.

A tiny service (its own stream, one consumer, the outbox relay) is wired exactly as the
five are, against its own nats-server (some tests stop it, or start it differently)."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx
import pytest
import sqlalchemy as sa

from libs.contracts import subject_for
from libs.contracts.events import ChargeLine, ChargePosted, WorkOrderClosed, encode
from libs.runtime import bus as runtime_bus
from libs.runtime.bus import feed as runtime_feed
from libs.runtime import metrics
from scripts.natsserver import NatsServer, free_port
from libs.runtime.uow import RefusedForGood, add_runtime_tables
from libs.runtime.service import Runtime
from libs.runtime.settings import ServiceSettings
from tests.support.harness import Bus, database_settings, eventually, make_tables, served_here

MAX_PAYLOAD = 64 * 1024


class ProbeSettings(ServiceSettings, kw_only=True):
    service: str = "billing"
    http_port: int = 0


class SmallNats(NatsServer):
    """nats-server with a small max_payload (the same refusal as the real 8 MB limit,
    without moving megabytes), or without JetStream (no consumer answers a pull)."""

    def __init__(self, *args, jetstream: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.jetstream = jetstream

    def config(self) -> str:
        text = re.sub(r"max_payload: \S+", f"max_payload: {MAX_PAYLOAD}", super().config())
        return text if self.jetstream else re.sub(r"jetstream \{.*\}\n", "", text, flags=re.S)


@pytest.fixture
def nats(tmp_path):
    server = SmallNats(tmp_path / "nats").start(tmp_path / "nats.log")
    yield server
    server.stop()


def make_runtime(nats_url, db_kind, tmp_path, schemas, **settings):
    metadata = sa.MetaData()
    outbox, inbox = add_runtime_tables(metadata)
    applied = sa.Table("applied", metadata, sa.Column("work_order_id", sa.String(40), primary_key=True))
    db = database_settings(db_kind, tmp_path, "probe")
    if "database_schema" in db:
        schemas.append(db["database_schema"])
    runtime = Runtime(ProbeSettings(nats_url=nats_url, log_json=True, ack_wait_s=2, **db, **settings), metadata, outbox, inbox)

    async def on_closed(tx, event):
        await tx.conn.execute(applied.insert().values(work_order_id=event.work_order_id))

    runtime.consumers.subscribe("dispatch", "*.*.work_order.closed", "probe", on_closed)

    async def rows():
        async with runtime.read() as conn:
            return set((await conn.execute(sa.select(applied.c.work_order_id))).scalars())

    return runtime, rows


@pytest.fixture
async def probe(nats, db_kind, tmp_path, cleanup_schemas):
    """The probe service on each database (what the relay does differs between them)."""
    async with started(nats, db_kind, tmp_path, cleanup_schemas) as runtime_and_rows:
        yield runtime_and_rows


@pytest.fixture
async def sqlite_probe(nats, tmp_path):
    """The probe service where the database plays no part (the connection, the fetch loop)."""
    async with started(nats, "sqlite", tmp_path, []) as runtime_and_rows:
        yield runtime_and_rows


@asynccontextmanager
async def started(nats, db_kind, tmp_path, schemas):
    async with Bus(nats.url) as b:
        await b.declare_streams("dispatch")
    runtime, rows = make_runtime(nats.url, db_kind, tmp_path, schemas)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()
    try:
        yield runtime, rows
    finally:
        await runtime.stop()


def closed(wo: str) -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id="p1", correlation_id="r", work_order_id=wo, request_id="r", unit="A-1", department="engineering",
        paid=True, charge_lines=[ChargeLine(line_id=f"{wo}:1", kind="labour", description="x", quantity=1,
                                            unit_price_fen=100, amount_fen=100)],
    )


def charge(n: int, *, description: str = "labour") -> ChargePosted:
    return ChargePosted(plaza_id="p1", correlation_id="c", unit="A-1", entry_id=f"e-{n}", line_id=f"line-{n}",
                        work_order_id=f"wo-{n}", description=description, amount_fen=100)


async def emit(runtime, *events) -> None:
    async with runtime.transaction() as tx:
        await tx.emit(*events)


async def on_stream(bus, stream="BILLING") -> set[str]:
    return {m.headers["Nats-Msg-Id"] for m in await bus.messages(stream)}


async def set_aside(runtime) -> list[dict]:
    table = runtime.metadata.tables["failed_events"]
    async with runtime.read() as conn:
        return [dict(r._mapping) for r in await conn.execute(sa.select(table))]


def set_aside_count(service="billing") -> float:
    return metrics.OUTBOX_SET_ASIDE.labels(service)._value.get()


async def test_an_event_the_broker_refuses_for_good_is_set_aside_and_the_rows_behind_it_flow_on(probe, nats):
    """An event over the server's max_payload (which would make nats-server close the
    connection) is moved to failed_events, counted and logged; the events before and after
    it are published, on the same connection; publishing it directly is refused at once."""
    runtime, rows = probe
    counted = set_aside_count()
    huge = charge(2, description="x" * (MAX_PAYLOAD + 1000))
    before, after = charge(1), charge(3)
    await emit(runtime, before)
    await emit(runtime, huge)
    await emit(runtime, after, *(charge(n) for n in range(4, 40)))  # a round large enough for an atomic batch

    async with Bus(nats.url) as bus:
        published = await eventually(lambda: _at_least(on_stream(bus), 38), what="the 38 events around the huge one")
    assert huge.id not in published and {before.id, after.id} <= published
    [row] = await eventually(lambda: set_aside(runtime), what="the huge event in failed_events")
    assert (row["event_id"], row["event_type"], row["subject"]) == (huge.id, "ChargePosted", subject_for(huge))
    assert "max_payload" in row["reason"] and row["payload"] == encode(huge)
    assert set_aside_count() == counted + 1
    assert await runtime.relay.pending() == 0

    with pytest.raises(RefusedForGood):  # the direct way (intake without an Idempotency-Key)
        await runtime.publish(charge(99, description="y" * (MAX_PAYLOAD + 1000)))
    nc = runtime.broker.nc
    assert nc.is_connected and nc.stats["reconnects"] == 0  # the server never dropped the connection


async def test_a_connection_the_server_closes_is_reopened_and_events_flow_both_ways(sqlite_probe, nats):
    """nats-server closes a connection that sends it a message over max_payload, and
    nats-py gives such a connection up for good: the runtime opens a new one, its consumer
    takes events again and its relay publishes again."""
    runtime, rows = sqlite_probe
    old = runtime.broker.nc
    await runtime_bus.send_all(old, [b"PUB nowhere %d\r\n%s\r\n" % (MAX_PAYLOAD + 1, b"x" * (MAX_PAYLOAD + 1))])
    await eventually(lambda: _true(old.is_closed), what="the server to close the connection")

    async with Bus(nats.url) as bus:
        await bus.publish(closed("wo-after-close"))
        await eventually(lambda: _has(rows, "wo-after-close"), timeout=15, what="the consumer to take events again")
        event = charge(1)
        await emit(runtime, event)
        await eventually(lambda: _contains(on_stream(bus), event.id), what="the relay to publish again")
    assert runtime.broker.nc is not old
    assert runtime.health_checks() == {"publishing": True, "nats": True}


async def test_health_fails_while_the_relay_cannot_publish_and_recovers_with_it(nats, db_kind, tmp_path, cleanup_schemas):
    """/ready says whether the service can serve now; /health (liveness) fails once the
    service has been unable to publish for health_grace_s, and passes again once it can."""
    async with Bus(nats.url) as bus:
        await bus.declare_streams("dispatch")
        runtime, rows = make_runtime(nats.url, db_kind, tmp_path, cleanup_schemas, health_grace_s=0.5)
        await make_tables(runtime.db, runtime.metadata)
        async with served_here(runtime.app([], title="probe")) as client:
            assert (await client.get("/health")).status_code == 200
            await bus.js.delete_stream("BILLING")  # no stream takes the service's events now
            event = charge(1)
            await emit(runtime, event)
            failing = await eventually(lambda: _status(client, "/health", 503), what="/health to fail")
            assert failing.json()["checks"] == {"publishing": False, "nats": True}
            await runtime_bus.declare_own_stream(runtime.broker, "billing")
            await eventually(lambda: _status(client, "/health", 200), what="/health to pass again")
            assert event.id in await on_stream(bus)


async def test_a_cluster_url_with_one_server_down_connects_and_works(nats, tmp_path):
    """PLAZADESK_NATS_URL as the deploy files give it, comma-separated; one of the servers
    is not running."""
    async with Bus(nats.url) as bus:
        await bus.declare_streams("dispatch")
        cluster = f"nats://127.0.0.1:{free_port()}, {nats.url}"
        runtime, rows = make_runtime(cluster, "sqlite", tmp_path, [])
        await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
        await runtime.start()
        try:
            await bus.publish(closed("wo-cluster"))
            await eventually(lambda: _has(rows, "wo-cluster"), what="the consumer to take an event")
            event = charge(1)
            await emit(runtime, event)
            await eventually(lambda: _contains(on_stream(bus), event.id), what="the relay to publish")
        finally:
            await runtime.stop()


async def test_a_consumer_whose_pulls_are_refused_backs_off_logs_once_and_resumes(sqlite_probe, nats, tmp_path, monkeypatch):
    """The server comes back without the consumer (a node without JetStream, as when the
    consumer's node of a cluster is down): every pull is refused at once. The fetch loop
    backs off and logs once for the outage, not once per pull; with JetStream back it
    takes events again."""
    runtime, rows = sqlite_probe
    logged = _Spy(runtime_feed.logger)
    monkeypatch.setattr(runtime_feed, "logger", logged)
    nats.stop()
    bare = SmallNats(tmp_path / "bare", jetstream=False)
    bare.port = nats.port  # the port the client reconnects to (free_port would shun its TIME_WAIT)
    bare.start(tmp_path / "bare.log")
    try:
        await eventually(lambda: _pulls_at_least(bare, 4), timeout=15, what="four refused pulls")
    finally:
        bare.stop()
    warnings = logged.warnings()
    assert warnings == ["pull_failing"], f"{len(warnings)} warnings: {warnings[:3]}"  # once for the outage, not per pull
    nats.start(tmp_path / "nats-again.log")
    async with Bus(nats.url) as bus:
        await bus.publish(closed("wo-resumed"))
        await eventually(lambda: _has(rows, "wo-resumed"), timeout=20, what="the consumer to resume")
    assert logged.count("pull_recovered") == 1 and logged.warnings() == ["pull_failing"]


class _Spy:
    """Records the fetch loop's log lines (event names by level) and passes them on."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level):
        def log(event, **fields):
            self.lines.append((level, event))
            return getattr(self.inner, level)(event, **fields)

        return log

    def count(self, event: str) -> int:
        return sum(1 for _, e in self.lines if e == event)

    def warnings(self) -> list[str]:
        return [e for level, e in self.lines if level in ("warning", "error")]


async def _pulls_at_least(server: NatsServer, n: int) -> bool:
    """Messages the server received: the consumer's pull requests (nothing else publishes)."""
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://127.0.0.1:{server.monitor_port}/varz")).json()["in_msgs"] >= n


async def _status(client, path: str, status: int):
    r = await client.get(path)
    return r if r.status_code == status else None


async def _has(rows, wo: str) -> bool:
    return wo in await rows()


async def _contains(coro, item) -> bool:
    return item in await coro


async def _at_least(coro, n: int):
    items = await coro
    return items if len(items) >= n else None


async def _true(value) -> bool:
    return bool(value)
