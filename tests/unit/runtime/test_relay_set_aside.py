"""The relay never lets one row hold up the rows behind it: a row the broker refuses for
good is set aside into failed_events; a failure that may pass is retried, and shows in
how long the relay has been unable to publish (what /health reads)."""

from __future__ import annotations

import sqlalchemy as sa

from libs.contracts.events import PlazaRegistered, encode
from libs.runtime import metrics
from libs.runtime.db import Database
from libs.runtime.relay import Relay
from libs.runtime.uow import RefusedForGood, Tx, add_runtime_tables
from tests.support.harness import eventually


async def make(tmp_path, publish):
    metadata = sa.MetaData()
    outbox, inbox = add_runtime_tables(metadata)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/relay.db")
    await db.create_all(metadata)
    return db, outbox, inbox, Relay(db, outbox, publish, service="archive", poll_s=0.05)


async def emit(db, outbox, inbox, *names: str) -> list[PlazaRegistered]:
    events = [PlazaRegistered(plaza_id=f"p{i}", correlation_id="c", name=name) for i, name in enumerate(names)]
    async with db.write() as conn:
        await Tx(conn, outbox, inbox).emit(*events)
    return events


async def test_a_row_refused_for_good_is_set_aside_and_the_rows_behind_it_are_published(tmp_path):
    sent: list[str] = []

    async def publish(subject, payload, event_id, trace=None):
        if b"huge" in payload:
            raise RefusedForGood("event is 9000000 bytes; the NATS server takes at most 8388608 (max_payload)")
        sent.append(event_id)

    db, outbox, inbox, relay = await make(tmp_path, publish)
    counted = metrics.OUTBOX_SET_ASIDE.labels("archive")._value.get()
    first, huge, last = await emit(db, outbox, inbox, "first", "huge", "last")
    relay.start()
    try:
        await eventually(lambda: _equal(relay.pending(), 0), what="the outbox to drain")
        await relay.stop()
        async with db.read() as conn:
            [row] = (await conn.execute(sa.select(outbox.metadata.tables["failed_events"]))).all()
            left = (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
    finally:
        await db.dispose()
    assert sent == [first.id, last.id]
    assert (row.event_id, row.event_type, row.subject, row.payload) == (
        huge.id, "PlazaRegistered", "plazadesk.archive.p1.plaza.registered", encode(huge))
    assert "max_payload" in row.reason and row.created_at is not None and row.failed_at is not None
    assert left == 2  # the two published rows (kept a day); the refused one left the outbox
    assert metrics.OUTBOX_SET_ASIDE.labels("archive")._value.get() == counted + 1
    assert relay.failing_for() == 0


async def test_a_failure_that_may_pass_is_retried_and_counts_as_time_unable_to_publish(tmp_path):
    broker = {"up": False}
    sent: list[str] = []

    async def publish(subject, payload, event_id, trace=None):
        if not broker["up"]:
            raise ConnectionError("nats: no servers available")
        sent.append(event_id)

    db, outbox, inbox, relay = await make(tmp_path, publish)
    [event] = await emit(db, outbox, inbox, "one")
    relay.start()
    try:
        await eventually(lambda: _true(relay.failing_for() > 0), what="the relay to count its failing time")
        broker["up"] = True
        await eventually(lambda: _equal(relay.pending(), 0), what="the row to be published once the broker is up")
        assert relay.failing_for() == 0
        async with db.read() as conn:
            aside = (await conn.execute(sa.select(sa.func.count()).select_from(outbox.metadata.tables["failed_events"]))).scalar_one()
    finally:
        await relay.stop()
        await db.dispose()
    assert sent == [event.id] and aside == 0


async def _equal(coro, value) -> bool:
    return await coro == value


async def _true(value) -> bool:
    return bool(value)
