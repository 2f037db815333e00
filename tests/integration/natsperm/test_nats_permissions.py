"""The NATS users against a real nats-server with the generated configuration: a department
reads its own work orders of every plaza and nothing else, a service publishes only its own
subjects, and no one connects without a valid password."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from libs.contracts import STREAMS, new_event_id, subject_for
from libs.contracts.events import DECODERS, WorkOrderCreated, encode
from libs.runtime.bus.connection import Broker
from libs.runtime.bus.streams import declare_own_stream

DISPATCH = STREAMS["dispatch"].name
ENGINEERING_WORK_ORDERS = "plazadesk.dispatch.*.engineering.work_order.>"


def created(plaza: str, department: str) -> WorkOrderCreated:
    return WorkOrderCreated(
        plaza_id=plaza, correlation_id=new_event_id(), work_order_id=new_event_id(), request_id=new_event_id(),
        unit="A-203", department=department, kind="service", text="the drain is blocked",
    )


async def dispatch_publishes(guarded, events: list) -> None:
    """Dispatch, as its own user, declares its stream and publishes the work orders."""
    broker = Broker(guarded.url, user="dispatch", password=guarded.passwords["dispatch"])
    await broker.connect()
    try:
        await declare_own_stream(broker, "dispatch")
        for event in events:
            await broker.js.publish(subject_for(event), encode(event), headers={"Nats-Msg-Id": event.id})
    finally:
        await broker.close()


async def test_a_department_reads_its_work_orders_of_every_plaza_and_nothing_else(guarded):
    ours = [created("p1", "engineering"), created("p2", "engineering")]
    await dispatch_publishes(guarded, [ours[0], created("p1", "security"), ours[1], created("p2", "security")])
    eng = await guarded.connect("dept-engineering")
    js = eng.jetstream()

    sub = await js.pull_subscribe(ENGINEERING_WORK_ORDERS, durable="dept-engineering-all", stream=DISPATCH)
    got = await sub.fetch(10, timeout=2)
    for msg in got:
        await msg.ack()
    assert [DECODERS["dispatch"].decode(m.data).id for m in got] == [e.id for e in ours]

    # Live, as well: its own subjects; security's and billing's are refused.
    live = await eng.subscribe("plazadesk.dispatch.*.engineering.>")
    await eng.subscribe("plazadesk.dispatch.*.security.>")
    await guarded.violation(eng, "plazadesk.dispatch.*.security.>")
    await eng.subscribe("plazadesk.billing.>")
    await guarded.violation(eng, "plazadesk.billing.>")
    await eng.subscribe("_INBOX.dispatch.>")  # another user's replies (its fetched events)
    await guarded.violation(eng, "_INBOX.dispatch.>")
    late = created("p1", "engineering")
    await dispatch_publishes(guarded, [created("p1", "security"), late])
    msg = await live.next_msg(timeout=5)
    assert DECODERS["dispatch"].decode(msg.data).id == late.id


async def test_a_department_publishes_nothing_and_reaches_no_other_consumer(guarded):
    await dispatch_publishes(guarded, [created("p1", "security")])
    eng = await guarded.connect("dept-engineering")
    js = eng.jetstream()

    await eng.publish("plazadesk.dispatch.p1.engineering.work_order.closed", b"{}")
    await guarded.violation(eng, "plazadesk.dispatch.p1.engineering.work_order.closed")
    for subject in ("plazadesk.deadletter.dispatch.x", "$JS.API.STREAM.DELETE.DISPATCH", "$JS.API.STREAM.CREATE.MINE"):
        await eng.publish(subject, b"{}")
        await guarded.violation(eng, subject)

    # A consumer on security's work orders, or on everything, or under another name: refused.
    for durable, subject in (("dept-engineering-all", "plazadesk.dispatch.*.security.>"),
                             ("dept-engineering-all", "plazadesk.dispatch.>"),
                             ("billing-work-order-closed", ENGINEERING_WORK_ORDERS)):
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(DISPATCH, ConsumerConfig(name=durable, durable_name=durable, filter_subject=subject,
                                                           ack_policy=AckPolicy.EXPLICIT), timeout=0.5)
    with pytest.raises(nats.errors.TimeoutError):  # the older API names no filter: refused
        await js.add_consumer(DISPATCH, ConsumerConfig(durable_name="dept-engineering-all"), timeout=0.5)
    with pytest.raises(nats.errors.TimeoutError):  # another service's consumer on DISPATCH
        await eng.request("$JS.API.CONSUMER.MSG.NEXT.DISPATCH.billing-work-order-closed", b"1", timeout=0.5)

    # The permitted API subject with another filter in the body: nats-server refuses it.
    allowed = f"$JS.API.CONSUMER.CREATE.{DISPATCH}.dept-engineering-all.plazadesk.dispatch.*.engineering.>"
    body = {"stream_name": DISPATCH, "config": {"name": "dept-engineering-all", "durable_name": "dept-engineering-all",
                                                "filter_subject": "plazadesk.dispatch.>", "ack_policy": "explicit"}}
    answer = json.loads((await eng.request(allowed, json.dumps(body).encode(), timeout=5)).data)
    assert "error" in answer, answer


async def test_a_service_publishes_only_its_own_subjects(guarded):
    await dispatch_publishes(guarded, [created("p1", "engineering")])
    billing = await guarded.connect("billing")

    await billing.publish("plazadesk.dispatch.p1.engineering.work_order.closed", b"{}")
    await guarded.violation(billing, "plazadesk.dispatch.p1.engineering.work_order.closed")
    await billing.publish("plazadesk.deadletter.dispatch.dispatch-archive", b"{}")
    await guarded.violation(billing, "plazadesk.deadletter.dispatch.dispatch-archive")
    with pytest.raises(nats.errors.TimeoutError):
        await billing.jetstream().delete_stream(DISPATCH)

    # Its own: its stream, its events, its dead letters.
    broker = Broker(guarded.url, user="billing", password=guarded.passwords["billing"])
    await broker.connect()
    try:
        await declare_own_stream(broker, "billing")
        ack = await broker.js.publish("plazadesk.billing.p1.charge.raised", b"{}")
        assert ack.stream == "BILLING"
        ack = await broker.js.publish("plazadesk.deadletter.billing.billing-archive", b"{}")
        assert ack.stream == "DEADLETTER"
    finally:
        await broker.close()
    operator = await guarded.connect("operator")
    info = await operator.jetstream().stream_info(DISPATCH)
    assert info.state.messages == 1  # nothing billing sent reached dispatch's stream


@pytest.mark.parametrize("user, password", [(None, None), ("dispatch", "not-the-password"), ("nobody", "x")])
async def test_a_connection_without_a_valid_user_is_refused(guarded, user, password):
    errors: list = []

    async def on_error(error):
        errors.append(error)

    with pytest.raises(Exception) as refused:
        nc = await nats.connect(guarded.url, user=user, password=password, allow_reconnect=False,
                                connect_timeout=2, error_cb=on_error)
        await nc.close()
    assert "authorization" in f"{refused.value!r} {errors!r}".lower()


async def test_the_operator_manages_every_stream(guarded):
    await dispatch_publishes(guarded, [created("p1", "engineering")])
    operator = await guarded.connect("operator")
    js = operator.jetstream()
    assert {s.config.name for s in await js.streams_info()} == {"DISPATCH", "DEADLETTER"}
    await js.purge_stream(DISPATCH)
    assert (await js.stream_info(DISPATCH)).state.messages == 0
    await asyncio.sleep(0)


async def test_the_console_hears_events_live_and_publishes_nothing(guarded):
    console = await guarded.connect("console")
    heard = await console.subscribe("plazadesk.dispatch.>")
    await console.subscribe("plazadesk.survey.>")
    await console.flush()
    event = created("p1", "security")
    await dispatch_publishes(guarded, [event])
    msg = await heard.next_msg(timeout=5)
    assert DECODERS["dispatch"].decode(msg.data).id == event.id

    await console.publish("plazadesk.dispatch.p1.security.work_order.closed", b"{}")
    await guarded.violation(console, "plazadesk.dispatch.p1.security.work_order.closed")
    await console.subscribe("plazadesk.deadletter.>")
    await guarded.violation(console, "plazadesk.deadletter.>")
    await console.subscribe("plazadesk.staff.>")
    await guarded.violation(console, "plazadesk.staff.>")


async def test_the_consoles_operations_user_handles_dead_letters_and_nothing_else(guarded):
    """console-ops reads and removes dead letters and publishes a replay on an event subject;
    it cannot read the services' streams through a consumer nor listen to their events."""
    operator = await guarded.connect("operator")
    await operator.jetstream().add_stream(name=STREAMS["intake"].name, subjects=STREAMS["intake"].subjects)
    ops = await guarded.connect("console-ops")
    js = ops.jetstream()
    ack = await js.publish("plazadesk.intake.p1.request.received", b"{}", headers={"Nats-Msg-Id": "ops-replay-1"})
    assert ack.stream == STREAMS["intake"].name  # a replay is stored on the producer's stream
    await ops.publish("$JS.API.CONSUMER.CREATE.DISPATCH.console-ops-peek", b"{}")
    await guarded.violation(ops, "$JS.API.CONSUMER.CREATE.DISPATCH.console-ops-peek")
    await ops.subscribe("plazadesk.dispatch.>")
    await guarded.violation(ops, "plazadesk.dispatch.>")


async def test_a_service_audits_its_events_set_aside_and_writes_nothing_else_on_the_trail(guarded):
    """The operator replays or discards a service's events set aside through its API: the
    service writes those two records of the operators' audit trail, no other, and reads none."""
    from libs.runtime import deadletters

    billing = await guarded.connect("billing")
    js = billing.jetstream()
    await deadletters.record(js, "set_aside_replayed", actor="ops-li", reason="max_payload raised",
                             service="billing", event_id="e1")
    await deadletters.record(js, "set_aside_discarded", actor="ops-li", reason="test data", service="billing",
                             event_id="e2")
    await billing.publish("plazadesk.audit.ops.dead_letter_discarded", b"{}")
    await guarded.violation(billing, "plazadesk.audit.ops.dead_letter_discarded")
    with pytest.raises(nats.errors.TimeoutError):
        await js.delete_stream(deadletters.AUDIT_STREAM)

    operator = await guarded.connect("operator")
    trail = await deadletters.audit_trail(operator.jetstream())
    assert [(e["action"], e["actor"], e["service"], e["event_id"]) for e in trail] == [
        ("set_aside_replayed", "ops-li", "billing", "e1"), ("set_aside_discarded", "ops-li", "billing", "e2")]
