"""A stream to a file and back through JetStream's snapshot and restore API, against a real
nats-server: the messages, their order, the durable consumers where they were, and the
duplicate window for the ids just published."""

from __future__ import annotations

import os

import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from libs.runtime.backup import jetstream
from tests.support.harness import Bus

pytestmark = pytest.mark.asyncio


async def test_a_stream_and_its_consumers_come_back_as_they_were(bus: Bus, tmp_path):
    await bus.declare_streams("dispatch")
    # Incompressible bodies, so the snapshot takes many chunks and the flow control works.
    bodies = [os.urandom(4096) for _ in range(300)]
    for i, body in enumerate(bodies):
        await bus.publish_raw(f"plazadesk.dispatch.p1.engineering.work_order.e{i}", body, msg_id=f"event-{i}")
    await bus.publish_raw("plazadesk.deadletter.billing.work-order-closed", b"bad event", msg_id="dead-1")
    await bus.js.add_consumer("DISPATCH", ConsumerConfig(durable_name="billing-closed", ack_policy=AckPolicy.EXPLICIT))
    sub = await bus.js.pull_subscribe_bind("billing-closed", stream="DISPATCH")
    for msg in await sub.fetch(120, timeout=5):
        await msg.ack_sync()

    taken = {}
    for stream in ("DISPATCH", "DEADLETTER"):
        taken[stream] = await jetstream.snapshot(bus.nc, stream, tmp_path / f"{stream}.snapshot")
    assert taken["DISPATCH"].size > 1024 * 1024 > taken["DEADLETTER"].size > 0
    assert taken["DISPATCH"].state["messages"] == 301 - 1  # the dead letter is on its own stream

    await sub.unsubscribe()
    for stream in ("DISPATCH", "DEADLETTER"):
        await jetstream.delete(bus.nc, stream)
        assert not await jetstream.exists(bus.nc, stream)
        await jetstream.restore(bus.nc, stream, taken[stream].path, taken[stream].config, taken[stream].state)

    messages = await bus.messages("DISPATCH")
    assert [m.data for m in messages] == bodies
    assert [m.data for m in await bus.messages("DEADLETTER")] == [b"bad event"]
    consumer = await bus.js.consumer_info("DISPATCH", "billing-closed")
    assert consumer.ack_floor.stream_seq == 120 and consumer.num_pending == 180
    # What the consumer had not taken comes next, once.
    sub = await bus.js.pull_subscribe_bind("billing-closed", stream="DISPATCH")
    rest = await sub.fetch(200, timeout=5)
    assert [m.data for m in rest] == bodies[120:]
    # Which events the restored stream holds, by id: what the restore compares each service's
    # outbox with (events published after the snapshot are published again).
    since = jetstream.utc(messages[-5].time.isoformat().replace("+00:00", "Z"))
    assert await jetstream.message_ids_since(bus.nc, "DISPATCH", since) == {f"event-{i}" for i in range(295, 300)}

async def test_a_restore_refuses_a_stream_that_exists(bus: Bus, tmp_path):
    await bus.declare_streams("intake")
    await bus.publish_raw("plazadesk.intake.p1.request.received", b"{}", msg_id="r-1")
    taken = await jetstream.snapshot(bus.nc, "INTAKE", tmp_path / "INTAKE.snapshot")
    with pytest.raises(jetstream.JetStreamBackupError, match="already in use|exist"):
        await jetstream.restore(bus.nc, "INTAKE", taken.path, taken.config, taken.state)
