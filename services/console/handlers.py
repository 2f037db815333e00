"""Bus subscribers: every event the console's NATS user may read nudges the open pages it
concerns (live.services.Hub decides which, by the person's token)."""

from __future__ import annotations

from services.console.live.domain import SUBJECTS
from services.console.live.services import Hub


def on_event(hub: Hub, subject: str) -> None:
    hub.notify(subject)


async def subscribe(hub: Hub) -> None:
    for subject in SUBJECTS:
        await hub.subscribe(subject, on_event)
