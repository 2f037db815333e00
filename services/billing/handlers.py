"""Bus subscribers: archive's plaza and unit facts, dispatch's work orders (charges, and
complaints that hold dunning while open, reopened ones included), intake's renovation
permits (deposits). Each first checks that archive registered the events' plazas and units."""

from __future__ import annotations

from libs.contracts.events import (
    RenovationApproved,
    RenovationClosed,
    WorkOrderCancelled,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.billing import services, services_deposits, services_dunning


async def on_archive_events(tx: Tx, events: list) -> None:
    await services.record_archive_facts(tx, events)


async def on_work_orders_closed(tx: Tx, events: list[WorkOrderClosed]) -> None:
    await services.require_known_facts(tx, events)
    await services_dunning.close_complaints(tx, [_step(e) for e in events])
    await services.post_charges_many(tx, events)


async def on_work_orders_created(tx: Tx, events: list[WorkOrderCreated]) -> None:
    await services.require_known_facts(tx, events)
    await services_dunning.open_complaints(
        tx, [(e.plaza_id, e.unit, e.work_order_id) for e in events if e.kind == "complaint"])


async def on_work_orders_reopened(tx: Tx, events: list[WorkOrderReopened]) -> None:
    await services.require_known_facts(tx, events)
    await services_dunning.reopen_complaints(tx, [_step(e) for e in events])


async def on_work_order_cancelled(tx: Tx, event: WorkOrderCancelled) -> None:
    await services.require_known_facts(tx, [event])
    await services_dunning.close_complaint(tx, event.plaza_id, event.unit, event.work_order_id, event.reopen_count)


def _step(e) -> tuple[str, str, str, int]:
    return (e.plaza_id, e.unit, e.work_order_id, e.reopen_count)


async def on_intake_event(tx: Tx, event) -> None:
    await services.require_known_facts(tx, [event])
    if isinstance(event, RenovationApproved):
        await services_deposits.hold_deposit(tx, event)
    elif isinstance(event, RenovationClosed):
        await services_deposits.release_deposit(tx, event)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    # The volume consumers take a fetched batch at once (one statement per table per batch).
    consumers.subscribe_batch("dispatch", "*.*.work_order.closed", "work-order-closed", on_work_orders_closed, prompt=True)
    consumers.subscribe_batch("dispatch", "*.*.work_order.created", "work-order-created", on_work_orders_created)
    consumers.subscribe_batch("dispatch", "*.*.work_order.reopened", "work-order-reopened", on_work_orders_reopened)
    consumers.subscribe("dispatch", "*.*.work_order.cancelled", "work-order-cancelled", on_work_order_cancelled)
    consumers.subscribe("intake", "*.renovation.>", "renovation", on_intake_event)
