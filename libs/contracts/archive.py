"""Events on the ARCHIVE stream (produced by archive)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class PlazaRegistered(Event, frozen=True, kw_only=True, tag=True):
    name: str
    timezone: str = "Asia/Shanghai"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "plaza", "registered")


class UnitRegistered(Event, frozen=True, kw_only=True, tag=True):
    """A unit's facts as archive now holds them; ``revision`` orders successive versions."""

    unit: str
    revision: int
    area_m2: float
    use: Use
    occupant: Occupant
    key_account: bool = False

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "unit", self.unit, "registered")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (PlazaRegistered, UnitRegistered,)
