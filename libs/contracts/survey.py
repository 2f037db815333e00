"""Events on the SURVEY stream (produced by survey)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class VisitScheduled(Event, frozen=True, kw_only=True, tag=True):
    visit_id: str
    work_order_id: str
    unit: str
    department: str
    due_at: dt.datetime

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "scheduled")


class VisitCompleted(Event, frozen=True, kw_only=True, tag=True):
    visit_id: str
    work_order_id: str
    unit: str
    department: str
    rating: Rating
    comment: str | None = None
    channel: Literal["phone", "online"] | None = None  # added in v1 (compatible)

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "completed")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (VisitScheduled, VisitCompleted,)
