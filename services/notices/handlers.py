"""Bus subscribers: the facts an audience is chosen by. Archive's plazas and units; billing's
entries (what each unit owes and since when); intake's renovation permits; dispatch's new
work orders (the unit each is about). Each, but archive's, checks first that archive
registered the events' plazas and units."""

from __future__ import annotations

from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.notices import facts


async def on_archive_events(tx: Tx, events: list) -> None:
    await facts.record_archive_facts(tx, events)


async def on_account_events(tx: Tx, events: list) -> None:
    await facts.require_known_facts(tx, events)
    await facts.record_billing_facts(tx, events)


async def on_renovations(tx: Tx, events: list) -> None:
    await facts.require_known_facts(tx, events)
    await facts.record_permits(tx, events)


async def on_work_orders_created(tx: Tx, events: list) -> None:
    await facts.require_known_facts(tx, events)
    await facts.record_work_orders(tx, events)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    consumers.subscribe_batch("billing", "*.account.>", "accounts", on_account_events)
    consumers.subscribe_batch("billing", "*.invoice.issued", "invoices", on_account_events)
    consumers.subscribe_batch("intake", "*.renovation.>", "renovations", on_renovations)
    consumers.subscribe_batch("dispatch", "*.*.work_order.created", "work-orders", on_work_orders_created)
