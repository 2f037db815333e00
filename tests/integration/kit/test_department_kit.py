"""The department integration kit against a real nats-server: a department receives
exactly its own plaza's work orders, each once, as the contract types; a failing hook gets
the event again; after a restart nothing already acknowledged comes back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from integrations.department.kit import Settings, SettingsError, create_broker
from libs.contracts import STREAMS, new_event_id
from libs.contracts.events import (
    DECODERS, StockLow, WorkOrderAssigned, WorkOrderClosed, WorkOrderCreated, WorkOrderStarted,
)

ROOT = Path(__file__).resolve().parents[3]
DISPATCH = STREAMS["dispatch"].name


def work_order(plaza: str, department: str) -> list:
    """A job's life as dispatch publishes it: created, assigned, started, closed."""
    common = dict(plaza_id=plaza, correlation_id=new_event_id(), work_order_id=new_event_id(),
                  request_id=new_event_id(), unit="A-203", department=department, kind="service")
    return [
        WorkOrderCreated(**common, text="the drain in A-203 is blocked"),
        WorkOrderAssigned(**common, assignee="wang"),
        WorkOrderStarted(**common),
        WorkOrderClosed(**common, paid=False),
    ]


async def wait_for(probe, what: str, timeout: float = 15.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if result := await probe():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def all_acknowledged(bus, durable: str) -> bool:
    info = await bus.js.consumer_info(DISPATCH, durable)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_a_department_receives_exactly_its_work_orders_once_and_not_again_after_a_restart(
    bus, nats_server, tmp_path
):
    await bus.declare_streams("dispatch")
    events = {(plaza, dept): work_order(plaza, dept) for plaza in ("p1", "p2") for dept in ("engineering", "security")}
    for batch in events.values():
        for event in batch:
            await bus.publish(event)
    await bus.publish(StockLow(plaza_id="p1", correlation_id="c", sku="pipe", name="pipe", quantity=1, low_level=5))
    ours = events[("p1", "engineering")]

    # In process, with a hook of the department's own that fails once on one event.
    received: list = []
    failed: list = []

    async def hook(event) -> None:
        if event.id == ours[1].id and not failed:
            failed.append(event)
            raise RuntimeError("the department's system is busy")
        received.append(event)

    settings = Settings(nats_url=nats_server.url, plaza="p1", department="engineering", durable="eng-p1")
    broker = create_broker(settings, hook)
    await broker.start()
    try:
        await wait_for(lambda: _true(len(received) >= len(ours)), "the department's four events")
        await wait_for(lambda: all_acknowledged(bus, "eng-p1"), "every event acknowledged")
    finally:
        await broker.stop()
    assert {e.id: type(e) for e in received} == {e.id: type(e) for e in ours}, "its own, as the contract types"
    assert len(received) == len(ours), "each once"
    assert failed and failed[0].id == ours[1].id, "the failing hook's event came again"

    # Restarted as a department runs it (python -m, settings from the environment, the
    # default hook writing JSON lines): only what was published since.
    later = work_order("p1", "engineering")[:1] + work_order("p2", "engineering")[:1]
    for event in later:
        await bus.publish(event)
    output = tmp_path / "work-orders.jsonl"
    env = {**os.environ, "PLAZADESK_NATS_URL": nats_server.url, "PLAZADESK_PLAZA": "p1",
           "PLAZADESK_DEPARTMENT": "engineering", "PLAZADESK_DURABLE": "eng-p1", "PLAZADESK_OUTPUT": str(output)}
    process = subprocess.Popen([sys.executable, "-m", "integrations.department"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await wait_for(lambda: _true(output.exists() and output.read_bytes().count(b"\n") >= 1), "the new event's line")
        await wait_for(lambda: all_acknowledged(bus, "eng-p1"), "the new event acknowledged")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    lines = output.read_bytes().splitlines()
    assert [DECODERS["dispatch"].decode(line) for line in lines] == [later[0]], stderr.decode()[-2000:]
    assert process.returncode == 0, stderr.decode()[-2000:]


async def test_a_department_can_take_every_plaza(bus, nats_server):
    await bus.declare_streams("dispatch")
    ours = work_order("p1", "cleaning")[:2] + work_order("p2", "cleaning")[:2]
    for event in ours + work_order("p1", "engineering")[:2]:
        await bus.publish(event)
    received: list = []
    broker = create_broker(Settings(nats_url=nats_server.url, plaza="*", department="cleaning"), received.append)
    await broker.start()
    try:
        await wait_for(lambda: _true(len(received) >= len(ours)), "both plazas' events")
        await wait_for(lambda: all_acknowledged(bus, "dept-cleaning-all"), "every event acknowledged")
    finally:
        await broker.stop()
    assert sorted(e.id for e in received) == sorted(e.id for e in ours)


async def test_an_undecodable_event_is_set_aside_and_the_next_one_still_arrives(bus, nats_server):
    await bus.declare_streams("dispatch")
    subject = STREAMS["dispatch"].subject("p1", "engineering", "work_order", "merged")
    await bus.publish_raw(subject, msgspec.json.encode({"type": "WorkOrderMerged", "plaza_id": "p1"}))
    good = work_order("p1", "engineering")[0]
    await bus.publish(good)
    received: list = []
    broker = create_broker(Settings(nats_url=nats_server.url, plaza="p1", department="engineering"), received.append)
    await broker.start()
    try:
        await wait_for(lambda: _true(received), "the good event")
        await wait_for(lambda: all_acknowledged(bus, "dept-engineering-p1"), "nothing left pending")
    finally:
        await broker.stop()
    assert received == [good]


def test_settings_fail_fast():
    with pytest.raises(SettingsError, match="PLAZADESK_DEPARTMENT"):
        Settings.from_env({"PLAZADESK_PLAZA": "p1"})
    with pytest.raises(SettingsError, match="PLAZADESK_PLAZA"):
        Settings.from_env({"PLAZADESK_PLAZA": "p.1", "PLAZADESK_DEPARTMENT": "engineering"})
    settings = Settings.from_env(
        {"PLAZADESK_PLAZA": "p1", "PLAZADESK_DEPARTMENT": "engineering", "PLAZADESK_MAX_DELIVER": "7"})
    assert settings.subject == "plazadesk.dispatch.p1.engineering.work_order.>"
    assert settings.consumer == "dept-engineering-p1" and settings.max_deliver == 7


def test_help_prints_usage():
    done = subprocess.run([sys.executable, "-m", "integrations.department", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "PLAZADESK_DEPARTMENT" in done.stdout and "PLAZADESK_PLAZA" in done.stdout


async def _true(value) -> bool:
    return bool(value)
