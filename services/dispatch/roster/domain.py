"""The roster's rules: who is on shift at a moment, whom a job may go to while its
department keeps a roster, and to whom a supervisor's escalation is raised.

Pure functions and small values; no I/O.
"""

from __future__ import annotations

import datetime as dt

import msgspec

SUPERVISOR_POST = "supervisor"
SUPERVISOR_ROLE = "supervisor"


class Shift(msgspec.Struct, frozen=True, kw_only=True):
    """A planned shift as dispatch's copy holds it (cancelled ones are never read)."""

    shift_id: str
    username: str
    post: str
    department: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime


class Assignee(msgspec.Struct, frozen=True, kw_only=True):
    """A person the job may be given to, and their shift when the roster covers now."""

    username: str
    name: str | None
    on_shift: bool
    post: str | None = None
    shift_ends_at: dt.datetime | None = None


def covers(shift: Shift, at: dt.datetime) -> bool:
    """A shift covers its start and not its end: one ending at 18:00 hands over to one starting then."""
    return shift.starts_at <= at < shift.ends_at


def shift_department(shift: Shift, person: dict | None) -> str | None:
    """A shift names its department, or is in its person's own."""
    return shift.department or (person or {}).get("department")


def on_duty(shifts: list[Shift], people: dict[str, dict], department: str, at: dt.datetime) -> dict[str, Shift]:
    """The department's people on shift at ``at`` (active staff of the plaza), by username;
    of two overlapping shifts of one person, the one that ends later."""
    found: dict[str, Shift] = {}
    for shift in shifts:
        person = people.get(shift.username)
        if not covers(shift, at) or person is None or not person["active"]:
            continue
        if shift_department(shift, person) != department:
            continue
        if shift.username not in found or shift.ends_at > found[shift.username].ends_at:
            found[shift.username] = shift
    return found


def off_shift_refused(username: str, department: str, duty: dict[str, Shift]) -> str | None:
    """Why ``username`` may not take the job now, or None. Only while the department's roster
    covers now (someone of it on shift) is anyone off shift refused: a department with no
    roster, or between its shifts, is never locked out of its own jobs."""
    if not duty or username in duty:
        return None
    return f"{username!r} is not on shift now; on {department}'s shift: {', '.join(sorted(duty))}"


def assignees(people: list[dict], duty: dict[str, Shift]) -> list[Assignee]:
    """Whom the job may go to: while the roster covers now, the people on shift (the shift
    ending soonest last, so whoever stays longest is offered first); else every active
    person of the department, by name."""
    if duty:
        chosen = [p for p in people if p["username"] in duty]
        chosen.sort(key=lambda p: (-duty[p["username"]].ends_at.timestamp(), p["name"] or p["username"]))
        return [Assignee(username=p["username"], name=p["name"], on_shift=True, post=duty[p["username"]].post,
                         shift_ends_at=duty[p["username"]].ends_at) for p in chosen]
    chosen = sorted((p for p in people if p["active"]), key=lambda p: (p["name"] or p["username"], p["username"]))
    return [Assignee(username=p["username"], name=p["name"], on_shift=False) for p in chosen]


def supervisors_on_duty(shifts: list[Shift], people: dict[str, dict], at: dt.datetime) -> list[str]:
    """Everyone on a supervisor's post at ``at`` (active staff of the plaza), whatever the department."""
    return sorted({
        s.username for s in shifts
        if s.post == SUPERVISOR_POST and covers(s, at) and people.get(s.username, {}).get("active")
    })


def plaza_supervisors(people: list[dict]) -> list[str]:
    """The plaza's active people holding the supervisor role."""
    return sorted(p["username"] for p in people if p["active"] and SUPERVISOR_ROLE in (p.get("roles") or []))


def escalation_target(level: str, duty_supervisors: list[str], supervisors: list[str]) -> tuple[list[str], bool]:
    """Whom an escalation names, and whether they are on duty: a supervisor's goes to the
    supervisor on duty, else to every supervisor of the plaza (nobody on duty); a manager's
    names nobody (the manager's inbox)."""
    if level != "supervisor":
        return [], False
    if duty_supervisors:
        return duty_supervisors, True
    return supervisors, False
