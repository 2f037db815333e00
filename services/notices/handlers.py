"""Bus subscribers: the facts an audience is chosen by. Archive's plazas and units; billing's
entries (what each unit owes and since when) and public-share tables (a disclosure notice
each); intake's renovation permits; dispatch's new work orders (the unit each is about). Each, but archive's, checks first that archive
registered the events' plazas and units."""

from __future__ import annotations

from libs.contracts.events import PublicShareCharged, PublicShareDisclosed
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.notices import facts
from services.notices.notices import services as notices


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


async def on_public_share(tx: Tx, events: list) -> None:
    """Each unit's share is a debt (days overdue); each period's table becomes a disclosure
    notice (财务公开) awaiting a lead's approval."""
    await facts.require_known_facts(tx, events)
    await facts.record_billing_facts(tx, [e for e in events if isinstance(e, PublicShareCharged)])
    for event in events:
        if isinstance(event, PublicShareDisclosed):
            await notices.disclose_public_share(tx, event)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    consumers.subscribe_batch("billing", "*.account.>", "accounts", on_account_events)
    consumers.subscribe_batch("billing", "*.invoice.issued", "invoices", on_account_events)
    consumers.subscribe_batch("billing", "*.public_share.>", "public-share", on_public_share)
    consumers.subscribe_batch("intake", "*.renovation.>", "renovations", on_renovations)
    consumers.subscribe_batch("dispatch", "*.*.work_order.created", "work-orders", on_work_orders_created)
