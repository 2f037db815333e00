"""Bus subscribers: archive's plaza and unit facts, dispatch's closed work orders (the
close carries the job's kind, which decides whether the fatigue window applies), and
intake's requests (the contact of one naming no unit, whose visit is made with it). Each
checks first that archive registered the events' plazas and units."""

from __future__ import annotations

import datetime as dt

from libs.contracts.events import DispatchEvent, IntakeEvent, RequestReceived, WorkOrderClosed
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.survey import facts
from services.survey.settings import Settings
from services.survey.visits import services as visits


async def on_archive_events(tx: Tx, events: list) -> None:
    await facts.record_archive_facts(tx, events)


async def on_requests_received(tx: Tx, events: list[IntakeEvent]) -> None:
    requests = [e for e in events if isinstance(e, RequestReceived) and not e.unit]
    await facts.require_known_facts(tx, requests)
    await visits.record_contacts(tx, requests)


def on_work_order_closed_within(window: dt.timedelta):
    """The batch handler for closes, bound to this deployment's default visit window (a
    plaza's survey policy overrides it)."""

    async def on_work_order_closed(tx: Tx, events: list[DispatchEvent]) -> None:
        # The subject filter lets only closes through; the union decoder could hand us any.
        closes = [e for e in events if isinstance(e, WorkOrderClosed)]
        await facts.require_known_facts(tx, closes)
        await visits.schedule_visits(tx, closes, window=window)

    return on_work_order_closed


def subscribe(consumers: Consumers, settings: Settings) -> None:
    window = dt.timedelta(hours=settings.visit_window_hours)
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    # Every work order is closed once or more: closes carry the volume, a fetched batch at a time.
    consumers.subscribe_batch(
        "dispatch", "*.*.work_order.closed", "work-order-closed", on_work_order_closed_within(window), prompt=True
    )
    consumers.subscribe_batch("intake", "*.request.received", "request-received", on_requests_received)
