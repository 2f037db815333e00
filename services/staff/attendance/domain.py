"""Attendance (考勤) rules: which shift a clock-in belongs to, lateness, absence, and a
month's sums per person. Pure, no I/O."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from services.staff.posts.domain import Refused

EARLY = dt.timedelta(minutes=30)  # a clock-in this long before the shift counts for it
GRACE = dt.timedelta(minutes=5)  # later than this after the start is late
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def shift_to_clock_in(shifts: list, now: dt.datetime):
    """The shift a clock-in at ``now`` is for (the earliest one open to it), or None."""
    open_to = [s for s in shifts if s["starts_at"] - EARLY <= now < s["ends_at"]]
    return min(open_to, key=lambda s: s["starts_at"]) if open_to else None


def minutes_late(starts_at: dt.datetime, clocked_in_at: dt.datetime) -> int:
    late = clocked_in_at - starts_at
    return int(late.total_seconds() // 60) if late > GRACE else 0


def month_bounds(month: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    m = _MONTH.match(month or "")
    if m is None:
        raise Refused("month must be YYYY-MM", field="month")
    year, number = int(m[1]), int(m[2])
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


class ShiftLine(msgspec.Struct, kw_only=True):
    shift_id: str
    username: str
    post: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    clocked_in_at: dt.datetime | None
    clocked_out_at: dt.datetime | None
    minutes_late: int
    absent: bool
    hours: float  # clocked in to clocked out


class PersonMonth(msgspec.Struct, kw_only=True):
    username: str
    shifts: int = 0
    worked: int = 0
    late: int = 0
    minutes_late: int = 0
    absent: int = 0
    hours: float = 0.0


def line(shift, record, now: dt.datetime) -> ShiftLine:
    clocked_in = record["clocked_in_at"] if record else None
    clocked_out = record["clocked_out_at"] if record else None
    hours = round((clocked_out - clocked_in).total_seconds() / 3600, 2) if clocked_in and clocked_out else 0.0
    return ShiftLine(
        shift_id=shift["shift_id"], username=shift["username"], post=shift["post"], starts_at=shift["starts_at"],
        ends_at=shift["ends_at"], clocked_in_at=clocked_in, clocked_out_at=clocked_out,
        minutes_late=minutes_late(shift["starts_at"], clocked_in) if clocked_in else 0,
        absent=clocked_in is None and shift["ends_at"] <= now, hours=hours,
    )


def per_person(lines: list[ShiftLine]) -> list[PersonMonth]:
    people: dict[str, PersonMonth] = {}
    for x in lines:
        p = people.setdefault(x.username, PersonMonth(username=x.username))
        p.shifts += 1
        p.worked += x.clocked_in_at is not None
        p.late += x.minutes_late > 0
        p.minutes_late += x.minutes_late
        p.absent += x.absent
        p.hours = round(p.hours + x.hours, 2)
    return [people[k] for k in sorted(people)]
