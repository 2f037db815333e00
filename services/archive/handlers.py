"""Bus subscribers: every other service's events, filed on the timeline of their unit and
kept in archive's projections (renovation permits, handover defects)."""

from __future__ import annotations

from libs.contracts import Event
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.archive import services_projections

# Archive's own events are filed by the use case that emits them, in the same transaction.
PRODUCERS = ("intake", "dispatch", "survey", "billing")


async def on_event(tx: Tx, event: Event) -> None:
    await services_projections.apply_event(tx, event)


def subscribe(consumers: Consumers) -> None:
    for producer in PRODUCERS:
        consumers.subscribe(producer, "*.>", producer, on_event)
