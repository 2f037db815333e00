"""Bus subscribers: archive's plaza and unit facts, and dispatch's closed work orders."""

from __future__ import annotations

from libs.contracts.events import PlazaRegistered, UnitRegistered, WorkOrderClosed
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.billing import services


async def on_archive_event(tx: Tx, event: PlazaRegistered | UnitRegistered) -> None:
    if isinstance(event, PlazaRegistered):
        await services.record_plaza(tx, event)
    elif isinstance(event, UnitRegistered):
        await services.record_unit(tx, event)


async def on_work_order_closed(tx: Tx, event: WorkOrderClosed) -> None:
    await services.post_charges(tx, event)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe("archive", "*.>", "archive", on_archive_event)
    consumers.subscribe("dispatch", "*.*.work_order.closed", "work-order-closed", on_work_order_closed)
