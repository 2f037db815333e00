"""What libs/runtime/bus/wire.py does below nats-py's public API, on a real client against a
real nats-server: a nats-py release that renames, removes or changes one of the private
attributes it relies on fails here, naming the attribute, not in production."""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from libs.runtime.bus import wire
from libs.runtime.bus.streams import ensure_consumer, next_subject
from tests.support.harness import eventually

NATS_PY = f"nats-py {version('nats-py')}"


def expect(obj, attr: str, kind) -> object:
    assert hasattr(obj, attr), f"{NATS_PY}: {type(obj).__name__}.{attr} is gone (used by libs/runtime/bus/wire.py)"
    value = getattr(obj, attr)
    ok = inspect.iscoroutinefunction(value) if kind == "coroutine" else isinstance(value, kind)
    assert ok, f"{NATS_PY}: {type(obj).__name__}.{attr} is now {value!r}, wire.py expects {kind}"
    return value


async def test_the_private_attributes_wire_uses_are_there_and_do_what_it_expects(nats_server):
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="WIRE", subjects=["wire.>"], storage=StorageType.MEMORY,
                                         duplicate_window=60))
        expect(nc, "_send_command", "coroutine")
        expect(nc, "_flush_pending", "coroutine")
        expect(nc, "_flush_queue", asyncio.Queue)
        assert expect(nc, "_max_pending_size", int) > 0
        expect(nc, "_pending_data_size", int)

        # Raw publishes with headers: stored once each (Nats-Msg-Id dedup read our headers).
        headers = b"NATS/1.0\r\nNats-Msg-Id: %s\r\n\r\n"
        await wire.send_all(nc, [wire.hpub("wire.a", "", headers % b"e1", b"one"),
                                 wire.hpub("wire.a", "", headers % b"e2", b"two"),
                                 wire.hpub("wire.a", "", headers % b"e1", b"one again")])
        await eventually(lambda: _stored(js, 2), what="both raw publishes stored, the copy dropped")

        # A durable pull consumer fed through an inbox of ours, as the fetch loop is.
        await ensure_consumer(js, "WIRE", ConsumerConfig(name="probe", durable_name="probe", filter_subject="wire.>",
                                                         ack_policy=AckPolicy.EXPLICIT, ack_wait=30))
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        queue = wire.queued(sub)
        assert queue is expect(sub, "_pending_queue", asyncio.Queue)
        expect(sub, "_pending_size", int)
        await nc.publish(next_subject("WIRE", "probe"), b'{"batch": 2, "expires": 5000000000}', inbox)
        first = await asyncio.wait_for(queue.get(), 5)
        second = await asyncio.wait_for(queue.get(), 5)
        assert (first.data, second.data) == (b"one", b"two")
        assert sub.pending_bytes == 6  # the public view of _pending_size: what was delivered
        wire.took(sub, first)
        wire.took(sub, second)
        assert sub.pending_bytes == 0, "took() must keep the slow-consumer count as nats-py does"

        assert expect(first, "_client", type(nc)) is nc
        assert expect(first, "_ackd", bool) is False
        await wire.ack_all([first, second])
        assert first.is_acked and second.is_acked
        await eventually(lambda: _acked(js, 2), what="both messages acknowledged by the raw acks")
        assert wire.status(first) is None
    finally:
        await nc.close()


async def _stored(js, n: int) -> bool:
    return (await js.stream_info("WIRE")).state.messages == n


async def _acked(js, n: int) -> bool:
    info = await js.consumer_info("WIRE", "probe")
    return info.ack_floor.stream_seq == n and info.num_ack_pending == 0
