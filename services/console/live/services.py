"""The console's live feed: one NATS connection (the console's own user, read-only on the
event subjects), fanned out to every open page's Server-Sent Events stream that may see
the change. Updates are nudges ("work orders changed"), not data: the page fetches what
changed with the person's own token, so it never shows more than the services allow.

Plain NATS subscriptions, not JetStream consumers: a page that was closed needs no replay,
and a page that reconnects fetches its rows afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import nats

from libs.runtime import logging as log
from libs.runtime.auth.principal import Principal
from libs.runtime.settings import nats_servers
from services.console.live.domain import Change, change_of, may_see

logger = log.get("live")
QUEUE_MAX = 64  # a page that stops reading loses nudges, not the console's memory


class Listener:
    def __init__(self, principal: Principal, plaza: str | None, topics: Iterable[str]) -> None:
        self.principal = principal
        self.plaza = plaza
        self.topics = frozenset(topics)
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_MAX)

    def offer(self, change: Change) -> None:
        if change.topic not in self.topics or (self.plaza and change.plaza != self.plaza):
            return
        if not may_see(self.principal, change):
            return
        try:
            self.queue.put_nowait(change.topic)
        except asyncio.QueueFull:
            pass


class Hub:
    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.nc = None
        self.received = 0

    def listen(self, principal: Principal, plaza: str | None, topics: Iterable[str]) -> Listener:
        listener = Listener(principal, plaza, topics)
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def notify(self, subject: str) -> None:
        change = change_of(subject)
        if change is None:
            return
        self.received += 1
        for listener in list(self.listeners):
            listener.offer(change)

    async def connect(self, url: str, user: str = "", password: str = "") -> None:
        async def _on_error(exc: Exception) -> None:
            logger.warning("live_feed_error", error=repr(exc))

        options = {"user": user, "password": password} if user else {}
        self.nc = await nats.connect(servers=nats_servers(url), name="plazadesk-console", max_reconnect_attempts=-1,
                                     error_cb=_on_error, **options)

    async def subscribe(self, subject: str, handler) -> None:
        async def _on_message(msg) -> None:
            handler(self, msg.subject)

        await self.nc.subscribe(subject, cb=_on_message)
        await self.nc.flush()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()
