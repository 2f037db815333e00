"""Bus subscribers: archive's registered plazas, kept as staff's own copy."""

from __future__ import annotations

from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.staff import facts


async def on_plazas_registered(tx: Tx, events: list) -> None:
    await facts.record_plazas(tx, events)


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.plaza.registered", "archive", on_plazas_registered)
