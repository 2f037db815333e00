"""The outbox relay retries what failed until it is published, and publishes once."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from libs.contracts.events import PlazaRegistered
from libs.runtime.db import Database
from libs.runtime.relay import Relay
from libs.runtime.uow import Tx, add_runtime_tables
from tests.support.harness import eventually


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

    async def flaky_publish(subject, payload, event_id, trace=None):
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


async def test_an_acknowledgement_that_fails_or_never_comes_is_published_again(tmp_path):
    """The broker took the message but its ack is an error, or never arrives: not done."""
    acked: list[str] = []
    unanswered: list[asyncio.Future] = []
    loop = asyncio.get_running_loop()

    async def publish(subject, payload, event_id, trace=None):
        ack = loop.create_future()
        if event_id == events[0].id and not unanswered:
            unanswered.append(ack)  # lost: nobody will ever answer it
        elif event_id == events[1].id and event_id not in failed:
            failed.add(event_id)
            ack.set_exception(ConnectionError("stream unavailable"))
        else:
            acked.append(event_id)
            ack.set_result(None)
        return ack

    failed: set[str] = set()
    db, outbox, inbox, relay = await make(tmp_path, publish)
    relay.ack_timeout_s = 0.1
    events = await emit(db, outbox, inbox, 3)
    relay.start()
    try:
        await eventually(lambda: _zero(relay.pending()), what="outbox to drain")
    finally:
        await relay.stop()
        await db.dispose()
    assert sorted(acked) == sorted(e.id for e in events)
    assert unanswered[0].cancelled()  # the lost ack was given up, not left waiting forever


async def test_relay_wakes_on_commit_without_waiting_for_the_poll(tmp_path):
    sent: list[str] = []

    async def publish(subject, payload, event_id, trace=None):
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


async def test_a_lingering_relay_publishes_the_commits_of_its_linger_in_one_round(tmp_path):
    """relay_linger_s (billing's and survey's relays): woken by a commit, the relay waits
    that long, so the next commits' events go out in the same round (one atomic batch to
    the broker when the round is large); none is published before the linger is over."""
    loop = asyncio.get_running_loop()
    published: list[tuple[str, int, float]] = []  # (event id, round, when)
    rounds = 0

    async def publish(subject, payload, event_id, trace=None):
        published.append((event_id, rounds, loop.time()))

    db, outbox, inbox, relay = await make(tmp_path, publish)
    relay.poll_s, relay.linger_s = 30, 0.3
    relay_once = relay.relay_once

    async def counted_round():
        nonlocal rounds
        rounds += 1
        return await relay_once()

    relay.relay_once = counted_round
    relay.start()
    try:
        await asyncio.sleep(0.05)
        await eventually(lambda: _true(rounds >= 1), timeout=2, what="the relay's first round")
        first_commit = loop.time()
        first = await emit(db, outbox, inbox, 1)
        await asyncio.sleep(0.05)
        second = await emit(db, outbox, inbox, 1)  # different plaza ids: p0 twice is fine
        await eventually(lambda: _true(len(published) == 2), timeout=5, what="both events published")
    finally:
        await relay.stop()
        await db.dispose()
    assert {p[0] for p in published} == {first[0].id, second[0].id}
    assert published[0][1] == published[1][1]  # one round
    assert min(p[2] for p in published) - first_commit >= 0.3 * 0.95  # not before the linger


async def _published_on_disk(db, outbox) -> int:
    async with db.read() as conn:
        return (await conn.execute(
            sa.select(sa.func.count()).where(outbox.c.published_at.is_not(None)))).scalar_one()


async def recording_relay(tmp_path, mark_every_s: float):
    """A started relay whose publish records the event ids it was given, in order."""
    sent: list[str] = []

    async def publish(subject, payload, event_id, trace=None):
        sent.append(event_id)

    db, outbox, inbox, relay = await make(tmp_path, publish)
    relay.mark_every_s = mark_every_s
    relay.start()
    return db, outbox, inbox, relay, sent


async def test_published_rows_are_marked_together_and_never_sent_twice_meanwhile(tmp_path):
    """SQLite: the marks of many rounds are written in one short transaction, and the rounds
    in between read past the rows already published."""
    # The marks wait longer than the six rounds take, even on a loaded machine.
    db, outbox, inbox, relay, sent = await recording_relay(tmp_path, mark_every_s=2.0)
    try:
        first = await emit(db, outbox, inbox, 3)
        await eventually(lambda: _true(len(sent) == 3), timeout=2, what="the first round")
        more = [e for _ in range(5) for e in await emit(db, outbox, inbox, 2)]
        await eventually(lambda: _true(len(sent) == 13), timeout=2, what="five more rounds")
        assert await relay.pending() == 0  # published, though not yet marked on disk
        assert await _published_on_disk(db, outbox) < 13
        await eventually(lambda: _true(_published_on_disk(db, outbox), 13), timeout=6, what="the marks")
    finally:
        await relay.stop()
        await db.dispose()
    assert sent == [e.id for e in first + more]  # each once, in order


async def test_rows_published_but_not_yet_marked_when_the_relay_stops_are_marked(tmp_path):
    db, outbox, inbox, relay, _ = await recording_relay(tmp_path, mark_every_s=60)
    await emit(db, outbox, inbox, 4)
    await eventually(lambda: _zero(relay.pending()), timeout=2, what="the publish")
    await relay.stop()
    try:
        assert await _published_on_disk(db, outbox) == 4
    finally:
        await db.dispose()


async def test_after_a_crash_before_the_marks_the_rows_are_published_again(tmp_path):
    """Marks lost with the process: a new relay publishes those rows again (JetStream's
    duplicate window or the consumers' inboxes drop the copies)."""
    db, outbox, inbox, relay, sent = await recording_relay(tmp_path, mark_every_s=60)
    events = await emit(db, outbox, inbox, 2)
    await eventually(lambda: _true(len(sent) == 2), timeout=2, what="the publish")
    relay._task.cancel()  # killed: no orderly stop, no marks written
    await asyncio.gather(relay._task, return_exceptions=True)
    again = Relay(db, outbox, relay.publish, service="archive", poll_s=0.05)
    again.start()
    try:
        await eventually(lambda: _true(len(sent) == 4), timeout=2, what="the second publish")
        await eventually(lambda: _zero(again.pending()), what="outbox to drain")
    finally:
        await again.stop()
        await db.dispose()
    assert sent == [e.id for e in events] * 2


async def _zero(coro):
    return await coro == 0


async def _true(value, expected=True):
    if asyncio.iscoroutine(value):
        value = await value
    return value == expected
