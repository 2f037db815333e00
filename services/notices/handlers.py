"""Bus subscribers: the facts an audience is chosen by. Archive's plazas and units; billing's
entries (what each unit owes and since when) and public-share tables (a disclosure notice
each) and dunning reminders (a dunning letter each); intake's renovation permits and the
desk's corrections of a request's kind; dispatch's work orders (the unit each is about, and
the complaints that hold dunning while open). Each, but archive's, checks first that archive
registered the events' plazas and units."""

from __future__ import annotations

from libs.contracts.events import DunningReminderIssued, PublicShareCharged, PublicShareDisclosed
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
    await facts.record_complaints(tx, events, closed=False)


async def on_work_orders_reopened(tx: Tx, events: list) -> None:
    await facts.require_known_facts(tx, events)
    await facts.record_complaints(tx, events, closed=False)


async def on_work_orders_ended(tx: Tx, events: list) -> None:
    """Closed or cancelled: a complaint no longer holds dunning."""
    await facts.require_known_facts(tx, events)
    await facts.record_complaints(tx, events, closed=True)


async def on_requests_reclassified(tx: Tx, events: list) -> None:
    await facts.require_known_facts(tx, events)
    await facts.record_corrections(tx, events)


async def on_dunning_reminders(tx: Tx, events: list) -> None:
    """Each of billing's dunning reminders becomes a dunning letter to its unit, for a lead
    to approve (never sent while the unit has an open complaint)."""
    await facts.require_known_facts(tx, events)
    for event in events:
        if isinstance(event, DunningReminderIssued):
            await notices.dunning_letter(tx, event)


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
    consumers.subscribe_batch("billing", "*.dunning.reminder_issued", "dunning-reminders", on_dunning_reminders)
    consumers.subscribe_batch("intake", "*.request.reclassified", "request-reclassified", on_requests_reclassified)
    consumers.subscribe_batch("dispatch", "*.*.work_order.created", "work-orders", on_work_orders_created)
    consumers.subscribe_batch("dispatch", "*.*.work_order.reopened", "work-orders-reopened", on_work_orders_reopened)
    consumers.subscribe_batch("dispatch", "*.*.work_order.closed", "work-orders-closed", on_work_orders_ended)
    consumers.subscribe_batch("dispatch", "*.*.work_order.cancelled", "work-orders-cancelled", on_work_orders_ended)
