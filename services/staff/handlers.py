"""Bus subscribers: archive's registered plazas, kept as staff's own copy; and what the
desk's people did, from the services they work in (requests logged and how each call was
answered, work orders, return visits, dunning), kept in staff's post records and report
projections."""

from __future__ import annotations

from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.records import services as records
from services.staff.reports import services as reports


async def on_plazas_registered(tx: Tx, events: list) -> None:
    await facts.record_plazas(tx, events)


async def on_work_done(tx: Tx, events: list) -> None:
    await records.record_events(tx, events)
    await reports.record_events(tx, events)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.plaza.registered", "archive", on_plazas_registered)
    consumers.subscribe_batch("intake", "*.request.received", "intake", on_work_done)
    consumers.subscribe_batch("dispatch", "*.*.work_order.>", "dispatch", on_work_done)
    consumers.subscribe_batch("survey", "*.visit.completed", "survey", on_work_done)
    consumers.subscribe_batch("billing", "*.dunning.>", "billing", on_work_done)
