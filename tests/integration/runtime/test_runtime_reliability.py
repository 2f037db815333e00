"""The shared runtime against a real nats-server: what happens to events that fail.

A tiny service (its own table of applied charges) is wired exactly as the five are.
"""

from __future__ import annotations

import asyncio

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts.events import ChargeLine, WorkOrderClosed
from libs.runtime.bus import feed as runtime_feed
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import add_runtime_tables
from libs.runtime.service import Runtime
from libs.runtime.settings import ServiceSettings
from tests.support.harness import Bus, database_settings, eventually, make_tables


class ProbeSettings(ServiceSettings, kw_only=True):
    service: str = "billing"
    http_port: int = 0


def make_runtime(nats_url, db_kind, tmp_path, schemas, *, max_deliver=4):
    metadata = sa.MetaData()
    outbox, inbox = add_runtime_tables(metadata)
    applied = sa.Table(
        "applied", metadata,
        sa.Column("event_id", sa.String(40), primary_key=True),
        sa.Column("work_order_id", sa.String(40)),
    )
    db = database_settings(db_kind, tmp_path, "probe")
    if "database_schema" in db:
        schemas.append(db["database_schema"])
    settings = ProbeSettings(nats_url=nats_url, log_json=True, max_deliver=max_deliver, ack_wait_s=2, **db)
    return Runtime(settings, metadata, outbox, inbox), applied


def closed(wo: str, plaza: str = "p1") -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id=plaza, correlation_id="r", work_order_id=wo, request_id="r", unit="A-1",
        department="engineering", paid=True,
        charge_lines=[ChargeLine(line_id=f"{wo}:1", kind="labour", description="x", quantity=1, unit_price_fen=100, amount_fen=100)],
    )


@pytest.fixture(params=["per-event", "batch"])
async def probe(request, bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    """The same guarantees hold for a per-event handler and for a set-based batch handler."""
    await bus.declare_streams("dispatch")
    runtime, applied = make_runtime(nats_server.url, db_kind, tmp_path, cleanup_schemas)
    state = {"fail_first": {}, "calls": {}, "batches": []}

    async def on_closed(tx, event):
        calls = state["calls"][event.work_order_id] = state["calls"].get(event.work_order_id, 0) + 1
        if event.work_order_id.startswith("permanent"):
            raise InvalidInput("unit is not billable", field="unit")
        if calls <= state["fail_first"].get(event.work_order_id, 0):
            raise ConnectionError("database went away for a moment")
        await tx.conn.execute(applied.insert().values(event_id=event.id, work_order_id=event.work_order_id))

    async def on_batch(tx, events):
        state["batches"].append([e.work_order_id for e in events])
        for event in events:
            await on_closed(tx, event)

    if request.param == "batch":
        runtime.consumers.subscribe_batch("dispatch", "*.*.work_order.closed", "probe", on_batch)
    else:
        runtime.consumers.subscribe("dispatch", "*.*.work_order.closed", "probe", on_closed)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()

    async def rows():
        async with runtime.read() as conn:
            return (await conn.execute(sa.select(applied.c.work_order_id))).scalars().all()

    yield runtime, state, rows
    await runtime.stop()


async def dead_letters(bus):
    return await bus.messages("DEADLETTER")


async def test_transient_failure_is_retried_not_lost(probe, bus):
    runtime, state, rows = probe
    state["fail_first"]["wo-flaky"] = 2
    await bus.publish(closed("wo-flaky"))
    assert await eventually(lambda: _has(rows, "wo-flaky"), what="the flaky event to be applied")
    assert state["calls"]["wo-flaky"] >= 3  # failed twice, then applied
    assert await dead_letters(bus) == []


async def test_redelivered_event_is_applied_once(probe, bus):
    runtime, state, rows = probe
    event = closed("wo-dup")
    await bus.publish(event, msg_id="first")
    await bus.publish(event, msg_id="second")  # past JetStream's dedup: the inbox must catch it
    await bus.publish(closed("wo-after"))
    await eventually(lambda: _has(rows, "wo-after"), what="the event behind the duplicate")
    assert (await rows()).count("wo-dup") == 1


async def test_malformed_event_goes_to_dead_letter_and_does_not_block(probe, bus):
    runtime, state, rows = probe
    await bus.publish_raw("plazadesk.dispatch.p1.engineering.work_order.closed", b'{"type": "WorkOrderClosed", "plaza_id": 5}')
    await bus.publish_raw("plazadesk.dispatch.p1.engineering.work_order.closed", b"\xff not json")
    await bus.publish(closed("wo-behind"))
    await eventually(lambda: _has(rows, "wo-behind"), what="the valid event behind two malformed ones")
    dead = await eventually(lambda: _at_least(dead_letters(bus), 2), what="two dead letters")
    reasons = [m.headers["PlazaDesk-Reason"] for m in dead]
    assert any("undecodable" in r and "plaza_id" in r for r in reasons), reasons
    assert all(m.headers["PlazaDesk-Consumer"] == "billing-probe" for m in dead)
    assert dead[1].data == b"\xff not json"


async def test_permanent_domain_error_is_dead_lettered_with_its_reason(probe, bus):
    runtime, state, rows = probe
    await bus.publish(closed("permanent-1"))
    await bus.publish(closed("wo-next"))
    await eventually(lambda: _has(rows, "wo-next"), what="the next event")
    dead = await eventually(lambda: _at_least(dead_letters(bus), 1), what="a dead letter")
    assert "unit is not billable" in dead[0].headers["PlazaDesk-Reason"]
    assert dead[0].headers["PlazaDesk-Deliveries"] == "1"  # not redelivered: it can never succeed


async def test_bounded_redelivery_then_dead_letter(probe, bus):
    runtime, state, rows = probe
    state["fail_first"]["wo-doomed"] = 99
    await bus.publish(closed("wo-doomed"))
    dead = await eventually(lambda: _at_least(dead_letters(bus), 1), timeout=20, what="dead letter after max_deliver")
    assert "gave up after 4 deliveries" in dead[0].headers["PlazaDesk-Reason"]
    assert dead[0].headers["PlazaDesk-Deliveries"] == "4"
    assert "wo-doomed" not in await rows()


async def test_a_crash_while_settling_redelivers_the_batch_and_applies_it_once(probe, bus):
    runtime, state, rows = probe
    consumers = runtime.consumers
    acknowledge, crashes = consumers.acknowledge, []

    async def crash_once(messages):
        if not crashes:
            crashes.append(msgspec.json.decode(messages[0].data)["work_order_id"])
            raise ConnectionError("lost the connection while acknowledging")
        await acknowledge(messages)

    consumers.acknowledge = crash_once
    await bus.publish(closed("wo-crash"))
    await eventually(lambda: _consumer_settled(bus), timeout=15, what="the redelivered event to be acknowledged")
    assert crashes == ["wo-crash"] and (await rows()).count("wo-crash") == 1  # redelivered, applied once
    assert await dead_letters(bus) == []


async def test_a_trickle_is_applied_as_it_comes_not_when_a_pull_request_expires(probe, bus):
    """Events arriving one by one (a few milliseconds apart) are applied as they come: the
    last of them does not wait for a pull request that asked for a whole batch to expire."""
    runtime, state, rows = probe
    for round_ in range(2):
        trickle = [closed(f"wo-{round_}-{i}") for i in range(40)]
        for event in trickle:
            await bus.publish(event)
            await asyncio.sleep(0.005)
        await eventually(lambda: _has(rows, trickle[-1].work_order_id), timeout=TAIL_S,
                         what=f"trickle {round_}'s last event within {TAIL_S} s (a pull expires after 5 s)")


TAIL_S = 2.0


@pytest.fixture
def long_pull_requests(monkeypatch):
    """Pull requests that stay open for two minutes: a consumer that waited out its old
    request after a restart would miss any wait of a test, however loaded the machine."""
    monkeypatch.setattr(runtime_feed, "PULL_EXPIRES_S", 120.0)


@pytest.mark.own_nats_server
async def test_after_the_broker_restarts_events_flow_again_promptly_and_none_is_lost(long_pull_requests, probe, bus, nats_server):
    """nats-server restarts (same port, same store): the clients reconnect, the consumer's
    pull request on the old server is gone, and events published before and after are
    all applied once, without waiting out the old request's expiry."""
    runtime, state, rows = probe
    await bus.publish(closed("wo-before"))
    await eventually(lambda: _has(rows, "wo-before"), what="the event before the restart")
    nats_server.stop()
    await asyncio.sleep(0.5)
    nats_server.start(nats_server.data_dir / "restarted.log")
    async with Bus(nats_server.url) as again:
        await eventually(lambda: _reconnected(runtime), timeout=15, what="the service to reconnect")
        await again.publish(closed("wo-after"))
        await eventually(lambda: _has(rows, "wo-after"), timeout=30, what="the event after the restart (not after the old request's expiry)")
    assert sorted(await rows()) == ["wo-after", "wo-before"]


async def _reconnected(runtime) -> bool:
    conn = runtime.broker.nc
    return bool(conn and conn.is_connected)


async def test_a_batch_handler_gets_a_backlog_in_batches_each_event_once(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("dispatch")
    events = [closed(f"wo-{i}") for i in range(40)]
    for event in events:
        await bus.publish(event)
    await bus.publish(events[3], msg_id="again")  # a second copy, past JetStream's dedup
    runtime, applied = make_runtime(nats_server.url, db_kind, tmp_path, cleanup_schemas)
    batches = []

    async def on_batch(tx, batch):
        batches.append([e.work_order_id for e in batch])
        await tx.conn.execute(applied.insert(), [{"event_id": e.id, "work_order_id": e.work_order_id} for e in batch])

    runtime.consumers.subscribe_batch("dispatch", "*.*.work_order.closed", "probe", on_batch)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()
    try:
        async def all_applied():
            async with runtime.read() as conn:
                return (await conn.execute(sa.select(sa.func.count()).select_from(applied))).scalar() == 40

        await eventually(all_applied, what="the backlog of 40 to be applied")
        await eventually(lambda: _consumer_settled(bus), what="the second copy to be acknowledged")
    finally:
        await runtime.stop()
    handled = [wo for batch in batches for wo in batch]
    assert sorted(handled) == sorted(e.work_order_id for e in events)  # the copy never reached the handler
    assert max(len(b) for b in batches) > 1  # set-based: several events per call


async def _consumer_settled(bus):
    return await bus.caught_up("DISPATCH", "billing-probe")


async def _has(rows, wo):
    return wo in await rows()


async def _at_least(coro, n):
    items = await coro
    return items if len(items) >= n else None
