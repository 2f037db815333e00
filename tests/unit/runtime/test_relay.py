"""The outbox relay retries what failed until it is published, and publishes once."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from libs.contracts.events import PlazaRegistered
from libs.runtime.db import Database
from libs.runtime.outbox import Relay, Tx, add_runtime_tables
from libs.runtime.testing import eventually


async def make(tmp_path, publish):
    metadata = sa.MetaData()
    outbox, inbox = add_runtime_tables(metadata)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/relay.db")
    await db.create_all(metadata)
    relay = Relay(db, outbox, publish, service="archive", poll_s=0.05)
    return db, outbox, inbox, relay


async def emit(db, outbox, inbox, n):
    events = [PlazaRegistered(plaza_id=f"p{i}", correlation_id="c", name=f"P{i}") for i in range(n)]
    async with db.write() as conn:
        await Tx(conn, outbox, inbox).emit(*events)
    return events


async def test_failed_publishes_are_retried_until_published(tmp_path):
    sent: list[str] = []
    failures = {"left": 3}

    async def flaky_publish(subject, payload, event_id):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("nats unavailable")
        sent.append(event_id)

    db, outbox, inbox, relay = await make(tmp_path, flaky_publish)
    events = await emit(db, outbox, inbox, 5)
    relay.start()
    try:
        await eventually(lambda: _zero(relay.pending()), what="outbox to drain")
    finally:
        await relay.stop()
        await db.dispose()
    assert set(sent) == {e.id for e in events}


async def test_relay_wakes_on_commit_without_waiting_for_the_poll(tmp_path):
    sent: list[str] = []

    async def publish(subject, payload, event_id):
        sent.append(subject)

    db, outbox, inbox, relay = await make(tmp_path, publish)
    relay.poll_s = 30  # a poll would be far too late: only the commit signal can wake it
    relay.start()
    try:
        await asyncio.sleep(0.05)
        await emit(db, outbox, inbox, 1)
        await eventually(lambda: _true(bool(sent)), timeout=2, what="publish after commit")
    finally:
        await relay.stop()
        await db.dispose()
    assert sent == ["plazadesk.archive.p0.plaza.registered"]


async def _zero(coro):
    return await coro == 0


async def _true(value):
    return value
