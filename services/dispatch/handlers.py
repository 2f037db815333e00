"""Bus subscribers: archive's plazas and units, intake's requests and handover defects,
survey's return visits."""

from __future__ import annotations

import functools

from libs.contracts.events import HandoverInspected, PlazaRegistered, RequestReceived, UnitRegistered, VisitCompleted
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.dispatch import services, services_routing


async def on_archive_event(tx: Tx, event: PlazaRegistered | UnitRegistered) -> None:
    if isinstance(event, PlazaRegistered):
        await services_routing.record_plaza(tx, event)
    elif isinstance(event, UnitRegistered):
        await services_routing.record_unit(tx, event)


async def on_request_received(tx: Tx, event: RequestReceived) -> None:
    await services.open_work_order(tx, event)


async def on_handover_inspected(tx: Tx, event: HandoverInspected) -> None:
    await services.open_warranty_work_orders(tx, event)


async def on_visit_completed(tx: Tx, event: VisitCompleted, *, reopen_escalate_after: int = 2) -> None:
    await services.record_return_visit(tx, event, escalate_after=reopen_escalate_after)


def subscribe(consumers: Consumers, *, reopen_escalate_after: int = 2) -> None:
    consumers.subscribe("archive", "*.>", "archive", on_archive_event)
    consumers.subscribe("intake", "*.request.received", "request-received", on_request_received)
    consumers.subscribe("intake", "*.handover.inspected", "handover-inspected", on_handover_inspected)
    consumers.subscribe(
        "survey",
        "*.visit.completed",
        "visit-completed",
        functools.partial(on_visit_completed, reopen_escalate_after=reopen_escalate_after),
    )
