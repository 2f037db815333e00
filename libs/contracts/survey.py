"""Events on the SURVEY stream (produced by survey)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

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
    # Added in v1 (compatible); "visit" (door-to-door, 上门回访) added later: a consumer
    # that only tells online answers apart reads it as any value other than "online".
    channel: Literal["phone", "visit", "online"] | None = None
    # Added in v1 (compatible: default): reason codes given with the rating
    # (e.g. "not_fixed", "slow_response"); second dispatch may use them.
    reasons: list[str] = []

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "completed")


class VisitSkipped(Event, frozen=True, kw_only=True, tag=True):
    """A closed work order got no return visit call: the unit was surveyed within the
    plaza's fatigue window (回访疲劳期). It is listed as skipped and is not counted in
    coverage. Published by earlier releases only: every close now gets its visit (by survey
    link within the fatigue window); kept so their events still decode."""

    visit_id: str
    work_order_id: str
    unit: str
    department: str
    reason: Literal["fatigue"] = "fatigue"
    last_surveyed_at: dt.datetime | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "skipped")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (VisitScheduled, VisitCompleted, VisitSkipped)
