"""Group commit: callers that arrive together share one transaction.

Each caller submits an item and awaits its own outcome. The first arrival schedules a
flush for the next loop tick, so everything submitted in the same tick (a fetched batch of
messages, a burst of HTTP requests) is applied by one ``apply_batch`` call; what arrives
while a flush is running waits for the next one. No caller ever waits for a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(self, apply_batch: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 500) -> None:
        self.apply_batch = apply_batch
        self.max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the rest of this tick's arrivals join
        while self._pending:
            group, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            items = [item for item, _ in group]
            try:
                results = await self.apply_batch(items)
            except BaseException as exc:  # every caller of the group learns it failed
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), result in zip(group, results):
                if not future.done():
                    future.set_result(result)
