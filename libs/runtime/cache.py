"""What a service derives from a plaza's own settings (classification rules, routing table,
SLA policy, time zone), kept a few seconds in process.

Every batch of events (and every request) needs its plazas' settings, and they almost never
change: read each time, they were one of a small batch's few statements. A replica forgets a
plaza's entry the moment it changes it itself (and once more after the commit, so no reader
that raced the change keeps the old value); another replica sees the change within
``ttl_s``. Entries are per database (``db.database_key``), so two databases served by one
process (tests, several schemas) never mix.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class PlazaCache(Generic[V]):
    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._kept: dict[tuple, dict[str, tuple[float, V]]] = {}

    def get(self, key: tuple, plaza_id: str) -> V | None:
        hit = self._kept.get(key, {}).get(plaza_id)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: tuple, plaza_id: str, value: V) -> None:
        self._kept.setdefault(key, {})[plaza_id] = (time.monotonic() + self.ttl_s, value)

    async def many(
        self, key: tuple, plaza_ids: Iterable[str], load: Callable[[list[str]], Awaitable[dict[str, V]]],
    ) -> dict[str, V]:
        """The kept values of ``plaza_ids``, and the others from one ``load`` of those
        missing (kept in turn; a plaza ``load`` says nothing of, or None, is asked again
        next time)."""
        found: dict[str, V] = {}
        missing: list[str] = []
        for plaza_id in sorted(set(plaza_ids)):
            value = self.get(key, plaza_id)
            if value is None:
                missing.append(plaza_id)
            else:
                found[plaza_id] = value
        if missing:
            loaded = await load(missing)
            for plaza_id, value in loaded.items():
                if value is not None:
                    self.put(key, plaza_id, value)
            found.update(loaded)
        return found

    def forget(self, key: tuple, plaza_ids: Iterable[str]) -> None:
        kept = self._kept.get(key, {})
        for plaza_id in plaza_ids:
            kept.pop(plaza_id, None)
