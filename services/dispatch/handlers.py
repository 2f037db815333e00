"""Bus subscribers: archive's plazas and units, the staff service's people and roster, intake's
requests (and the desk's corrections of them) and handover defects, survey's return
visits; dispatch's own work-order events and the plazas' published notices, for the
webhooks. The volume consumers take a whole batch at once (one query per table for the
batch); the runtime calls them with a batch of one to isolate a bad event. Each of intake's and survey's first checks that archive
registered the events' plazas and units."""

from __future__ import annotations

import functools

from libs.contracts.events import HandoverInspected, RequestReceived, RequestReclassified, VisitCompleted
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.dispatch import facts
from services.dispatch.corrections import services as corrections
from services.dispatch.reports import services as reports
from services.dispatch.roster import services as roster
from services.dispatch.work_orders import services as work_orders
from services.dispatch.webhooks import services as webhooks


async def on_archive_events(tx: Tx, events: list) -> None:
    await facts.record_archive_facts(tx, events)


async def on_staff_events(tx: Tx, events: list) -> None:
    await facts.record_staff_facts(tx, events)
    await roster.record_shifts(tx, events)


async def on_request_received(tx: Tx, events: list[RequestReceived]) -> None:
    await facts.require_known_facts(tx, events)
    await work_orders.open_work_orders(tx, events)
    await reports.record_requests(tx, events)


async def on_request_reclassified(tx: Tx, events: list[RequestReclassified]) -> None:
    await facts.require_known_facts(tx, events)
    await corrections.apply_reclassifications(tx, events)
    await reports.record_requests(tx, events)  # after its request: the use case above waits for it


async def on_handover_inspected(tx: Tx, events: list[HandoverInspected]) -> None:
    await facts.require_known_facts(tx, events)
    await work_orders.open_warranty_work_orders(tx, events)


async def on_visit_completed(tx: Tx, events: list[VisitCompleted], *, reopen_escalate_after: int = 2) -> None:
    await facts.require_known_facts(tx, events)
    await work_orders.record_return_visits(tx, events, escalate_after=reopen_escalate_after)


async def on_webhook_events(tx: Tx, events: list) -> None:
    """Events the departments' webhooks may want: dispatch's own published work-order events
    and the plazas' notices as they go out. A delivery is queued only for an event that was
    committed and published; a plaza no endpoint knows queues nothing (so archive's facts
    are not waited for)."""
    await webhooks.queue_deliveries(tx, events)


def subscribe(consumers: Consumers, *, reopen_escalate_after: int = 2) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    consumers.subscribe_batch("staff", "*.staff.*", "staff", on_staff_events)
    consumers.subscribe_batch("intake", "*.request.received", "request-received", on_request_received)
    consumers.subscribe_batch("intake", "*.request.reclassified", "request-reclassified", on_request_reclassified)
    consumers.subscribe_batch("intake", "*.handover.inspected", "handover-inspected", on_handover_inspected)
    consumers.subscribe_batch(
        "survey",
        "*.visit.completed",
        "visit-completed",
        functools.partial(on_visit_completed, reopen_escalate_after=reopen_escalate_after),
    )
    consumers.subscribe_batch("dispatch", "*.*.work_order.*", "webhooks", on_webhook_events)
    consumers.subscribe_batch("notices", "*.notice.published", "webhooks-notices", on_webhook_events)
