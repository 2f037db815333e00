"""A consumer's batch lingers for more events only until its oldest event is ``linger_s``
old: an event that already waited (in the stream, behind the last batch) is applied at once."""

from __future__ import annotations

import asyncio
import time

import pytest
from nats.aio.msg import Msg

from libs.runtime.bus import wire
from libs.runtime.bus.feed import _Feed


class _Client:
    stats = {"reconnects": 0}
    is_closed = False
    is_connected = True

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def publish(self, subject, payload, reply) -> None:
        self.requests.append(payload)


class _Inbox:
    """The inbox subscription a pull consumer's requests deliver to: the feed reaches its
    queue through ``wire.queued`` and ``wire.took``, faked here (their real counterparts on
    nats-py are checked by test_wire_private_api)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.nc = _Client()


@pytest.fixture(autouse=True)
def fake_wire(monkeypatch):
    monkeypatch.setattr(wire, "queued", lambda sub: sub.queue)
    monkeypatch.setattr(wire, "took", lambda sub, msg: None)


def feed_of(psub: _Inbox, **options) -> _Feed:
    return _Feed(psub.nc, psub, "_INBOX.feed", "$JS.API.CONSUMER.MSG.NEXT.S.c", **options)


def delivered(psub: _Inbox, seq: int, stored_s_ago: float, pending: int = 0, subject: str = "s.x") -> None:
    stored_ns = int((time.time() - stored_s_ago) * 1e9)
    reply = f"$JS.ACK.S.c.1.{seq}.{seq}.{stored_ns}.{pending}"
    psub.queue.put_nowait(Msg(psub.nc, subject=subject, reply=reply, data=b"{}"))


async def timed_batch(feed: _Feed) -> tuple[list, float]:
    started = time.perf_counter()
    batch = await feed.next_batch()
    return batch, time.perf_counter() - started


async def test_a_fresh_lone_event_lingers_for_company():
    psub = _Inbox()
    feed = feed_of(psub, size=200, linger_s=1.0)
    delivered(psub, 1, stored_s_ago=0.0)

    async def another_soon() -> None:
        await asyncio.sleep(0.2)
        delivered(psub, 2, stored_s_ago=0.0)

    arrival = asyncio.ensure_future(another_soon())
    batch, took = await timed_batch(feed)
    await arrival
    assert [m.metadata.sequence.stream for m in batch] == [1, 2]  # the later one joined the batch
    assert took >= 0.5


async def test_an_event_that_already_waited_its_linger_is_not_held_again():
    psub = _Inbox()
    feed = feed_of(psub, size=200, linger_s=60.0)  # long lingers: a loaded machine cannot blur the two outcomes
    delivered(psub, 1, stored_s_ago=120.0)  # e.g. queued behind a long batch, or a replay
    batch, took = await timed_batch(feed)
    assert [m.metadata.sequence.stream for m in batch] == [1]
    assert took < 30


async def test_an_event_lingers_only_for_what_is_left_of_its_linger():
    psub = _Inbox()
    feed = feed_of(psub, size=200, linger_s=60.0)
    delivered(psub, 1, stored_s_ago=59.6)
    batch, took = await timed_batch(feed)
    assert len(batch) == 1
    assert 0.2 <= took < 30


async def test_a_prompt_event_arriving_during_a_long_linger_cuts_it_short():
    psub = _Inbox()
    feed = feed_of(psub, size=200, linger_s=60.0, prompt_s=0.2, prompt_endings=(".work_order.closed",))
    delivered(psub, 1, stored_s_ago=0.0, subject="p.dispatch.p1.engineering.work_order.created")

    async def a_close_soon() -> None:
        await asyncio.sleep(0.1)
        delivered(psub, 2, stored_s_ago=0.0, subject="p.dispatch.p1.engineering.work_order.closed")

    arrival = asyncio.ensure_future(a_close_soon())
    batch, took = await timed_batch(feed)
    await arrival
    assert [m.metadata.sequence.stream for m in batch] == [1, 2]
    assert 0.25 <= took < 30  # the close's 0.2 s, not the created event's 60 s


async def test_without_a_prompt_event_the_long_linger_holds():
    psub = _Inbox()
    feed = feed_of(psub, size=200, linger_s=1.0, prompt_s=0.05, prompt_endings=(".work_order.closed",))
    delivered(psub, 1, stored_s_ago=0.0, subject="p.dispatch.p1.engineering.work_order.created")
    batch, took = await timed_batch(feed)
    assert len(batch) == 1
    assert took >= 0.6
