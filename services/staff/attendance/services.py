"""Use cases of attendance: a person clocks in for their shift and out again, sees where
they stand, and the month's attendance summary the company checks (lateness, absence,
hours), as JSON or a workbook."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import export
from libs.runtime.errors import Conflict, InvalidInput
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.attendance import domain, store
from services.staff.posts.domain import Refused
from services.staff.roster import services as roster

LOOK_AHEAD = dt.timedelta(hours=16)


class Clocked(msgspec.Struct, kw_only=True):
    shift: roster.ShiftView | None
    clocked_in_at: str | None
    clocked_out_at: str | None = None
    minutes_late: int = 0


class Me(msgspec.Struct, kw_only=True):
    shift: roster.ShiftView | None  # the shift clocked in for, else the current or next one today
    clocked_in_at: str | None


class LineView(msgspec.Struct, kw_only=True):
    shift_id: str
    username: str
    post: str
    starts_at: str
    ends_at: str
    clocked_in_at: str | None
    clocked_out_at: str | None
    minutes_late: int
    absent: bool
    hours: float


class Summary(msgspec.Struct, kw_only=True):
    plaza_id: str
    month: str
    people: list[domain.PersonMonth]
    shifts: list[LineView]


async def clock_in(tx: Tx, plaza_id: str, username: str) -> Clocked:
    now = utcnow()
    if await store.open_record(tx.conn, plaza_id, username) is not None:
        raise Conflict("clocked in already: clock out first", field="clock-in")
    shifts = await roster.shifts_between(tx.conn, plaza_id, now - LOOK_AHEAD, now + domain.EARLY, username)
    shift = domain.shift_to_clock_in(shifts, now)
    if shift is None:
        raise Conflict(f"{username!r} has no shift starting within 30 minutes or under way", field="shift")
    if await store.of_shift(tx.conn, shift["shift_id"]) is not None:
        raise Conflict("this shift was clocked in and out already", field="shift")
    await store.add(tx.conn, {"attendance_id": new_event_id(), "plaza_id": plaza_id, "username": username,
                              "shift_id": shift["shift_id"], "clocked_in_at": now, "clocked_out_at": None})
    return Clocked(shift=roster.view(shift), clocked_in_at=iso(now),
                   minutes_late=domain.minutes_late(shift["starts_at"], now))


async def clock_out(tx: Tx, plaza_id: str, username: str) -> Clocked:
    record = await store.open_record(tx.conn, plaza_id, username)
    if record is None:
        raise Conflict("not clocked in", field="clock-out")
    now = utcnow()
    await store.clock_out(tx.conn, record["attendance_id"], now)
    shift = await roster.get_shift(tx.conn, plaza_id, record["shift_id"])
    return Clocked(shift=roster.view(shift) if shift else None, clocked_in_at=iso(record["clocked_in_at"]),
                   clocked_out_at=iso(now), minutes_late=domain.minutes_late(shift["starts_at"], record["clocked_in_at"]) if shift else 0)


async def me(conn, plaza_id: str, username: str) -> Me:
    record = await store.open_record(conn, plaza_id, username)
    if record is not None:
        shift = await roster.get_shift(conn, plaza_id, record["shift_id"])
        return Me(shift=roster.view(shift) if shift else None, clocked_in_at=iso(record["clocked_in_at"]))
    now = utcnow()
    upcoming = [s for s in await roster.shifts_between(conn, plaza_id, now, now + LOOK_AHEAD, username)
                if await store.of_shift(conn, s["shift_id"]) is None]
    return Me(shift=roster.view(upcoming[0]) if upcoming else None, clocked_in_at=None)


async def summary(conn, plaza_id: str, month: str) -> Summary:
    try:
        start, end = domain.month_bounds(month, await facts.zone(conn, plaza_id))
    except Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc
    shifts = [s for s in await roster.shifts_between(conn, plaza_id, start, end) if start <= s["starts_at"] < end]
    records = await store.of_shifts(conn, [s["shift_id"] for s in shifts])
    now = utcnow()
    lines = [domain.line(s, records.get(s["shift_id"]), now) for s in shifts]
    return Summary(plaza_id=plaza_id, month=month, people=domain.per_person(lines), shifts=[
        LineView(shift_id=x.shift_id, username=x.username, post=x.post, starts_at=iso(x.starts_at),
                 ends_at=iso(x.ends_at), clocked_in_at=iso(x.clocked_in_at), clocked_out_at=iso(x.clocked_out_at),
                 minutes_late=x.minutes_late, absent=x.absent, hours=x.hours) for x in lines])


def summary_xlsx(report: Summary) -> bytes:
    people = [("username 员工", "shifts 班次", "worked 出勤", "late 迟到", "minutes late 迟到分钟", "absent 缺勤", "hours 工时")]
    people += [(p.username, p.shifts, p.worked, p.late, p.minutes_late, p.absent, p.hours) for p in report.people]
    shifts = [("shift 班次", "username 员工", "post 岗位", "starts 开始", "ends 结束", "clocked in 签到",
               "clocked out 签退", "minutes late 迟到分钟", "absent 缺勤", "hours 工时")]
    shifts += [(s.shift_id, s.username, s.post, s.starts_at, s.ends_at, s.clocked_in_at, s.clocked_out_at,
                s.minutes_late, "yes 是" if s.absent else "", s.hours) for s in report.shifts]
    return export.xlsx([(f"Attendance {report.month}", people), ("Shifts", shifts)])
