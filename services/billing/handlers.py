"""Bus subscribers: archive's plaza and unit facts, dispatch's work orders (charges, and
complaints that hold dunning while open, reopened ones included: each event's own kind
says whether it is a complaint), intake's corrections of a request's kind (a request made a
complaint holds dunning too), intake's renovation permits (deposits). Each first checks
that archive registered the events' plazas and units (a request about a public area names
none)."""

from __future__ import annotations

from libs.contracts.events import (
    RenovationApproved,
    RenovationClosed,
    RequestReclassified,
    WorkOrderCancelled,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.catalogue import services as catalogue
from services.billing.deposits import services as deposits
from services.billing.dunning import services as dunning
from services.billing.ledger import services as ledger


async def on_archive_events(tx: Tx, events: list) -> None:
    await facts.record_archive_facts(tx, events)


async def on_work_orders_closed(tx: Tx, events: list[WorkOrderClosed]) -> None:
    await facts.require_known_facts(tx, events)
    await dunning.follow_complaints(tx, events, closed=True)
    # A catalogue service's line is priced from the plaza's price list, then posted once like any line.
    priced, sold = await catalogue.price_closings(tx.conn, events)
    await catalogue.record_sold(tx, await ledger.post_charges_many(tx, priced), sold)


async def on_work_orders_created(tx: Tx, events: list[WorkOrderCreated]) -> None:
    await facts.require_known_facts(tx, events)
    await dunning.follow_complaints(tx, events, closed=False)


async def on_work_orders_reopened(tx: Tx, events: list[WorkOrderReopened]) -> None:
    await facts.require_known_facts(tx, events)
    await dunning.follow_complaints(tx, events, closed=False)


async def on_work_order_cancelled(tx: Tx, event: WorkOrderCancelled) -> None:
    await facts.require_known_facts(tx, [event])
    await dunning.follow_complaints(tx, [event], closed=True)


async def on_requests_reclassified(tx: Tx, events: list[RequestReclassified]) -> None:
    await facts.require_known_facts(tx, events)
    await dunning.follow_corrections(tx, events)


async def on_intake_event(tx: Tx, event) -> None:
    await facts.require_known_facts(tx, [event])
    if isinstance(event, RenovationApproved):
        await deposits.hold_deposit(tx, event)
    elif isinstance(event, RenovationClosed):
        await deposits.release_deposit(tx, event)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    # The volume consumers take a fetched batch at once (one statement per table per batch).
    consumers.subscribe_batch("dispatch", "*.*.work_order.closed", "work-order-closed", on_work_orders_closed, prompt=True)
    consumers.subscribe_batch("dispatch", "*.*.work_order.created", "work-order-created", on_work_orders_created)
    consumers.subscribe_batch("dispatch", "*.*.work_order.reopened", "work-order-reopened", on_work_orders_reopened)
    consumers.subscribe("dispatch", "*.*.work_order.cancelled", "work-order-cancelled", on_work_order_cancelled)
    consumers.subscribe("intake", "*.renovation.>", "renovation", on_intake_event)
    consumers.subscribe_batch("intake", "*.request.reclassified", "request-reclassified", on_requests_reclassified)
