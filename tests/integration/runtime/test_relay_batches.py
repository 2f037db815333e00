"""The relay against a real nats-server: a large round of outbox rows lands as one atomic
batch (one broker write, one fsync with ``sync_interval: always``), a small one as single
publishes (an atomic batch has a fixed cost in the server), in order, each event once, also
when the stream already holds one of them."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts.events import PlazaRegistered
from libs.runtime.uow import add_runtime_tables
from libs.runtime.service import Runtime
from libs.runtime.settings import ServiceSettings
from tests.support.harness import Bus, database_settings, eventually, make_tables


class ArchiveLikeSettings(ServiceSettings, kw_only=True):
    service: str = "archive"  # its stream, ARCHIVE, takes PlazaRegistered
    http_port: int = 0


def make_runtime(nats_url, db_kind, tmp_path, schemas) -> Runtime:
    metadata = sa.MetaData()
    outbox, inbox = add_runtime_tables(metadata)
    db = database_settings(db_kind, tmp_path, "relay")
    if "database_schema" in db:
        schemas.append(db["database_schema"])
    return Runtime(ArchiveLikeSettings(nats_url=nats_url, log_json=True, **db), metadata, outbox, inbox)


def plazas(n: int) -> list[PlazaRegistered]:
    return [PlazaRegistered(plaza_id=f"p{i}", correlation_id="c", name=f"Plaza {i}") for i in range(n)]


async def stored_ids(bus) -> list[str]:
    return [msgspec.json.decode(m.data)["id"] for m in await bus.messages("ARCHIVE")]


@pytest.mark.parametrize(("rows", "atomic"), [(40, True), (5, False)])
async def test_a_relay_round_lands_in_order_as_one_atomic_batch_when_large(
    rows, atomic, bus, nats_server, db_kind, tmp_path, cleanup_schemas
):
    runtime = make_runtime(nats_server.url, db_kind, tmp_path, cleanup_schemas)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()
    try:
        events = plazas(rows)
        async with runtime.transaction() as tx:
            await tx.emit(*events)
        await eventually(lambda: _count(bus, rows), what=f"the {rows} events in the stream")
        stored = await bus.messages("ARCHIVE")
        assert [msgspec.json.decode(m.data)["id"] for m in stored] == [e.id for e in events]
        batch_ids = [(m.headers or {}).get("Nats-Batch-Id") for m in stored]
        if atomic:  # one atomic batch, not 40 publishes
            assert len(set(batch_ids)) == 1 and None not in batch_ids
        else:  # single publishes: an atomic batch has a fixed cost in the server
            assert batch_ids == [None] * rows
        # The rows are marked published after the stream's ack: they may still be unmarked here.
        await eventually(lambda: _zero(runtime.relay.pending()), what="the relay to mark its rows published")
    finally:
        await runtime.stop()


async def test_an_event_the_stream_already_has_is_not_stored_twice_and_the_rest_land(
    bus, nats_server, db_kind, tmp_path, cleanup_schemas
):
    """Published before, but its "published" mark was lost (a crash between the ack and
    the mark): JetStream refuses a whole atomic batch that holds it, so the relay publishes
    that round one event at a time and the stream drops the copy."""
    await bus.declare_streams("archive")  # a stream declared by a release without atomic batches
    events = plazas(30)  # enough for an atomic batch
    await bus.publish(events[5])
    runtime = make_runtime(nats_server.url, db_kind, tmp_path, cleanup_schemas)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()
    try:
        info = await bus.js.stream_info("ARCHIVE")
        assert info.config.allow_atomic  # the service's start upgraded its stream
        async with runtime.transaction() as tx:
            await tx.emit(*events)
        await eventually(lambda: _zero(runtime.relay.pending()), what="the outbox to drain")
        ids = await stored_ids(bus)
        assert sorted(ids) == sorted(e.id for e in events)  # each once
        assert ids == [events[5].id] + [e.id for e in events if e is not events[5]]
    finally:
        await runtime.stop()


async def _count(bus, n: int) -> bool:
    return len(await bus.messages("ARCHIVE")) >= n


async def _zero(coro) -> bool:
    return await coro == 0


@pytest.mark.own_nats_server
async def test_events_emitted_while_the_broker_is_down_are_published_once_it_is_back(
    bus, nats_server, db_kind, tmp_path, cleanup_schemas
):
    runtime = make_runtime(nats_server.url, db_kind, tmp_path, cleanup_schemas)
    await make_tables(runtime.db, runtime.metadata)  # a test's own tables, no revisions
    await runtime.start()
    try:
        first, during = plazas(3), plazas(8)[3:]
        async with runtime.transaction() as tx:
            await tx.emit(*first)
        await eventually(lambda: _zero(runtime.relay.pending()), what="the first events to be published")
        nats_server.stop()
        async with runtime.transaction() as tx:  # accepted and stored while the broker is away
            await tx.emit(*during)
        await asyncio.sleep(0.5)
        nats_server.start(nats_server.data_dir / "restarted.log")
        await eventually(lambda: _zero(runtime.relay.pending()), timeout=30, what="the outbox to drain after the restart")
        async with Bus(nats_server.url) as again:
            ids = [msgspec.json.decode(m.data)["id"] for m in await again.messages("ARCHIVE")]
        assert ids == [e.id for e in first + during]  # each once, in order
    finally:
        await runtime.stop()
