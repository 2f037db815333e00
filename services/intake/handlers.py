"""Bus subscribers: archive's plaza and unit facts, kept as intake's own copy."""

from __future__ import annotations

from libs.contracts.events import PlazaRegistered, UnitRegistered
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.intake import services


async def on_archive_events(tx: Tx, events: list) -> None:
    """A batch of archive's events: plazas first (a unit's plaza may be in the same batch),
    then the batch's units in one statement."""
    for event in events:
        if isinstance(event, PlazaRegistered):
            await services.record_plaza(tx, event)
    await services.record_units(tx, [e for e in events if isinstance(e, UnitRegistered)])


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
