"""Roster (排班) rules: a shift's bounds, a week in the plaza's zone, the desk's opening
hours and which of them no shift covers, a swap's decision. Pure, no I/O."""

from __future__ import annotations

import datetime as dt
import re

from libs.runtime import foureyes
from services.staff.posts.domain import Refused

MAX_SHIFT = dt.timedelta(hours=16)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The desk's hours when a plaza has set none: 08:00-20:00 every day, covered by front_desk.
DEFAULT_HOURS: dict[str, list[list[str]]] = {d: [["08:00", "20:00"]] for d in DAYS}
DEFAULT_COVERED = ["front_desk"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

Interval = tuple[dt.datetime, dt.datetime]


def check_shift(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Refused("starts_at and ends_at need a time zone", field="starts_at")
    if ends_at <= starts_at:
        raise Refused("ends_at must be after starts_at", field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise Refused("a shift is at most 16 hours", field="ends_at")


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def week_start(week: str | None, zone: dt.tzinfo, now: dt.datetime) -> dt.date:
    """Monday of an ISO week ``YYYY-Www`` (this week in the plaza's zone when None)."""
    if week is None:
        today = now.astimezone(zone).date()
        return today - dt.timedelta(days=today.weekday())
    m = _WEEK.match(week)
    try:
        if m is None:
            raise ValueError(week)
        return dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        raise Refused("week must be an ISO week, YYYY-Www (2026-W49)", field="week") from None


def local(day: dt.date, hhmm: str, zone: dt.tzinfo) -> dt.datetime:
    if hhmm == "24:00":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.timezone.utc)
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), zone).astimezone(dt.timezone.utc)


def check_hours(hours: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    for day, spans in hours.items():
        if day not in DAYS:
            raise Refused(f"hours: {day!r} is not one of {', '.join(DAYS)}", field="hours")
        for span in spans:
            if len(span) != 2 or not all(_HHMM.match(t) for t in span) or span[0] >= span[1]:
                raise Refused(f"hours.{day}: {span!r} must be [\"HH:MM\", \"HH:MM\"], opening before closing",
                              field=f"hours.{day}")
    return hours


def opening(monday: dt.date, hours: dict[str, list[list[str]]], zone: dt.tzinfo) -> list[Interval]:
    """The week's opening hours as UTC intervals."""
    found = []
    for i, day in enumerate(DAYS):
        date = monday + dt.timedelta(days=i)
        found += [(local(date, a, zone), local(date, b, zone)) for a, b in hours.get(day, [])]
    return found


def uncovered(open_spans: list[Interval], shifts: list[Interval]) -> list[Interval]:
    """The parts of the opening hours no shift covers."""
    gaps = []
    for start, end in open_spans:
        at = start
        for s, e in sorted(shifts):
            if e <= at or s >= end:
                continue
            if s > at:
                gaps.append((at, s))
            at = max(at, e)
            if at >= end:
                break
        if at < end:
            gaps.append((at, end))
    return gaps


def decide_swap(status: str, requested_by: str, decider: str, *, approve: bool) -> foureyes.Status:
    """A swap is the supervisor's to approve, and never by the one who asked for it."""
    return foureyes.decide(status, requested_by, decider, "this shift swap", approve=approve)
