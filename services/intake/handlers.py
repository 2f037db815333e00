"""Bus subscribers: archive's plaza and unit facts, kept as intake's own copy, and intake's
own requests from its stream, kept as its read model."""

from __future__ import annotations

from libs.contracts.events import RequestReceived
from libs.runtime.bus import Consumers
from libs.runtime.uow import Tx
from services.intake import facts
from services.intake.requests import services as requests


async def on_archive_events(tx: Tx, events: list) -> None:
    await facts.record_archive_facts(tx, events)


async def on_requests_received(tx: Tx, events: list) -> None:
    await requests.record_requests(tx, [e for e in events if isinstance(e, RequestReceived)])


def subscribe(consumers: Consumers) -> None:
    consumers.subscribe_batch("archive", "*.>", "archive", on_archive_events)
    # Intake's own stream feeds its read model of requests (see receive_request_published).
    consumers.subscribe_batch("intake", "*.request.received", "requests", on_requests_received)
