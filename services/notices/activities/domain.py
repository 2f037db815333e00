"""Activities (社区文化活动/公益活动): planned, published by a notice, signed up for up to
their capacity, attended on the day, reported with photos. Pure rules; no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Literal

Kind = Literal["community", "public_welfare"]
Status = Literal["planned", "published", "reported", "cancelled"]
MAX_CAPACITY = 100_000


class ActivityRefused(ValueError):
    def __init__(self, reason: str, field: str, *, conflict: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.conflict = conflict


def check_plan(starts_at: dt.datetime, ends_at: dt.datetime, capacity: int) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ActivityRefused("starts_at and ends_at must carry a time zone", "starts_at")
    if ends_at <= starts_at:
        raise ActivityRefused("ends_at must be after starts_at", "ends_at")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ActivityRefused(f"capacity must be 1 to {MAX_CAPACITY}", "capacity")


def publishable(status: str) -> None:
    if status != "planned":
        raise ActivityRefused(f"the activity is {status}; only a planned one is published", "status", conflict=True)


def open_for_signups(status: str, ends_at: dt.datetime, now: dt.datetime) -> None:
    if status != "published":
        raise ActivityRefused(f"the activity is {status}; sign-ups open once it is published", "status",
                              conflict=True)
    if now >= ends_at:
        raise ActivityRefused("the activity is over", "activity_id", conflict=True)


def full(capacity: int) -> ActivityRefused:
    return ActivityRefused(f"the activity is full ({capacity} places taken)", "capacity", conflict=True)


def attendance_open(status: str, starts_at: dt.datetime, now: dt.datetime) -> None:
    if status not in ("published", "reported"):
        raise ActivityRefused(f"the activity is {status}; attendance is taken on a published one", "status",
                              conflict=True)
    if now < starts_at - dt.timedelta(hours=12):
        raise ActivityRefused("attendance is taken on the day, not before", "starts_at", conflict=True)


def reportable(status: str, starts_at: dt.datetime, now: dt.datetime) -> None:
    if status not in ("published", "reported"):
        raise ActivityRefused(f"the activity is {status}; only one that took place is reported", "status",
                              conflict=True)
    if now < starts_at:
        raise ActivityRefused("the activity has not taken place yet", "starts_at", conflict=True)


def notice_text(title: str, place: str, starts: str, ends: str, capacity: int, description: str) -> str:
    return (f"{description}\n\n时间：{starts} 至 {ends}\n地点：{place}\n名额：{capacity} 个，额满为止。"
            "请到客服中心或在业户页面报名。")


def year_bounds(year: int, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), dt.datetime(year + 1, 1, 1, tzinfo=zone).astimezone(dt.timezone.utc)
