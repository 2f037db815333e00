"""Bus subscribers: every other service's events, filed on the timeline of their unit and
kept in archive's projections (renovation permits, handover defects), a batch at a time;
only events about plazas and units archive has registered."""

from __future__ import annotations

from libs.contracts import Event
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.archive.projections import services as projections

# Archive's own events are filed by the use case that emits them, in the same transaction.
PRODUCERS = ("intake", "dispatch", "survey", "billing", "notices")


async def on_events(tx: Tx, events: list[Event]) -> None:
    await projections.require_known_facts(tx, events)
    await projections.apply_events(tx, events)


def subscribe(consumers: Consumers) -> None:
    for producer in PRODUCERS:
        # A closed work order's timeline entry is kept promptly (see Consumers.subscribe).
        prompt = (".work_order.closed",) if producer == "dispatch" else False
        consumers.subscribe_batch(producer, "*.>", producer, on_events, prompt=prompt)
