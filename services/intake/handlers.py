"""Bus subscribers: archive's plaza and unit facts, kept as intake's own copy."""

from __future__ import annotations

from libs.contracts.events import PlazaRegistered, UnitRegistered
from libs.runtime.bus import Consumers
from libs.runtime.outbox import Tx
from services.intake import services


async def on_archive_event(tx: Tx, event: PlazaRegistered | UnitRegistered) -> None:
    if isinstance(event, PlazaRegistered):
        await services.record_plaza(tx, event)
    elif isinstance(event, UnitRegistered):
        await services.record_unit(tx, event)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe("archive", "*.>", "archive", on_archive_event)
