"""GET /live: the Server-Sent Events stream a page opens (htmx's SSE extension) to hear
that something it shows changed; the page then fetches the part that changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from litestar import Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage

from services.console.live.domain import wanted_topics
from services.console.live.services import Hub

KEEPALIVE_S = 15.0  # proxies close a stream that says nothing for a minute


@get("/live", include_in_schema=False)
async def live(request: Request, topics: str | None = None) -> ServerSentEvent:
    hub: Hub = request.app.state.hub
    listener = hub.listen(request.state.principal, request.state.plaza, wanted_topics(topics))

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        try:
            yield ServerSentEventMessage(event="ready", data="ok")
            while True:
                try:
                    topic = await asyncio.wait_for(listener.queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    yield ServerSentEventMessage(comment="keepalive")
                    continue
                seen = {topic}
                while not listener.queue.empty():  # a burst of events: one nudge per topic
                    seen.add(listener.queue.get_nowait())
                for name in sorted(seen):
                    yield ServerSentEventMessage(event=name, data=name)
        finally:
            hub.leave(listener)

    return ServerSentEvent(stream(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
