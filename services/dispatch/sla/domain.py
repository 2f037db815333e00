"""SLA rules: a plaza's business calendar, the allowances per class of work, the deadlines
they give a work order, and the escalation ladder when a deadline is missed.

Pure functions over aware datetimes; no I/O. An allowance runs either on the wall clock
(emergencies are 24/7) or in business minutes of the plaza's calendar (working hours in
the plaza's own timezone, working weekdays, closed dates).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from libs.runtime import limits

DeadlineName = Literal["respond", "on_site", "resolve"]
SlaClass = Literal["emergency", "urgent", "normal", "complaint", "warranty"]
Level = Literal["supervisor", "manager"]
DEADLINE_NAMES: tuple[DeadlineName, ...] = ("respond", "on_site", "resolve")
HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", max_length=5)]


class PolicyRefused(ValueError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


class Allowance(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    minutes: Annotated[int, msgspec.Meta(gt=0, le=366 * 24 * 60)]
    # True: counted in the plaza's working hours only; False: on the wall clock (24/7).
    business: bool = False


class ClassTargets(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    respond: Allowance
    resolve: Allowance
    on_site: Allowance | None = None


class Calendar(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    timezone: limits.Code = "Asia/Shanghai"
    opens: HHMM = "08:30"
    closes: HHMM = "18:00"
    # ISO weekdays, Monday = 1; the desk works Monday to Saturday by default.
    working_days: limits.items(Annotated[int, msgspec.Meta(ge=1, le=7)], 7) = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5, 6])
    closed_dates: limits.items(dt.date, limits.DATES_MAX) = []

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _wall(minutes: int) -> Allowance:
    return Allowance(minutes=minutes)


def _business(minutes: int) -> Allowance:
    return Allowance(minutes=minutes, business=True)


DEFAULT_TARGETS: dict[str, ClassTargets] = {
    "emergency": ClassTargets(respond=_wall(15), on_site=_wall(30), resolve=_wall(24 * 60)),
    "urgent": ClassTargets(respond=_business(30), resolve=_business(8 * 60)),
    "normal": ClassTargets(respond=_business(30), resolve=_wall(24 * 60)),
    "complaint": ClassTargets(respond=_wall(24 * 60), resolve=_wall(7 * 24 * 60)),
    # A contractor's warranty repair: seen within a working day, fixed within 15 days.
    "warranty": ClassTargets(respond=_business(8 * 60), resolve=_wall(15 * 24 * 60)),
}


class SlaPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # A factory, not a shared instance: the OpenAPI generator hashes plain defaults, and a
    # Calendar holds lists.
    calendar: Calendar = msgspec.field(default_factory=Calendar)
    targets: dict[SlaClass, ClassTargets] = msgspec.field(default_factory=lambda: dict(DEFAULT_TARGETS))
    # The manager hears of a breach this share of the original allowance after the supervisor.
    manager_grace_factor: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.5
    # A second dispatch must be done in this share of the resolve allowance.
    reopen_factor: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.5


DEFAULT_POLICY = SlaPolicy()


def check_policy(policy: SlaPolicy) -> SlaPolicy:
    """Every class present, the timezone known, the working day not empty."""
    try:
        policy.calendar.zone
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyRefused("calendar.timezone", f"unknown timezone {policy.calendar.timezone!r}") from exc
    if _minute_of(policy.calendar.closes) <= _minute_of(policy.calendar.opens):
        raise PolicyRefused("calendar.closes", "closes must be later than opens on the same day")
    if not policy.calendar.working_days:
        raise PolicyRefused("calendar.working_days", "at least one working day is needed")
    missing = [c for c in DEFAULT_TARGETS if c not in policy.targets]
    if missing:
        raise PolicyRefused("targets", f"targets lack the classes {', '.join(missing)}")
    return policy


def sla_class(kind: str, priority: str, warranty: bool = False) -> SlaClass:
    if warranty:
        return "warranty"
    if kind == "complaint":
        return "complaint"
    return priority  # type: ignore[return-value]


# --- the business clock ----------------------------------------------------------------


def _minute_of(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _working_window(day: dt.date, cal: Calendar) -> tuple[dt.datetime, dt.datetime] | None:
    if day.isoweekday() not in cal.working_days or day in cal.closed_dates:
        return None
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=cal.zone)
    opens, closes = _minute_of(cal.opens), _minute_of(cal.closes)
    return _at(midnight, opens, cal), _at(midnight, closes, cal)


def _at(midnight: dt.datetime, minute: int, cal: Calendar) -> dt.datetime:
    naive = midnight.replace(tzinfo=None) + dt.timedelta(minutes=minute)
    return naive.replace(tzinfo=cal.zone)


def add_business_minutes(start: dt.datetime, minutes: float, cal: Calendar) -> dt.datetime:
    """The moment ``minutes`` of working time after ``start``; time outside working hours
    does not count, so a job logged on Saturday evening starts its clock on Monday."""
    remaining = dt.timedelta(minutes=minutes)
    local = start.astimezone(cal.zone)
    day = local.date()
    for _ in range(3660):  # ten years of closed days would be a broken calendar
        window = _working_window(day, cal)
        if window is not None:
            begin = max(window[0], local)
            if begin < window[1]:
                if begin + remaining <= window[1]:
                    return (begin + remaining).astimezone(dt.timezone.utc)
                remaining -= window[1] - begin
        day += dt.timedelta(days=1)
    raise PolicyRefused("calendar", "the calendar has no working time in the next ten years")


def add_allowance(start: dt.datetime, allowance: Allowance, cal: Calendar, factor: float = 1.0) -> dt.datetime:
    minutes = allowance.minutes * factor
    if allowance.business:
        return add_business_minutes(start, minutes, cal)
    return start + dt.timedelta(minutes=minutes)


# --- deadlines -------------------------------------------------------------------------


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    name: DeadlineName
    round: int
    due_at: dt.datetime
    # When the breach, still open, goes on from the supervisor to the manager.
    manager_at: dt.datetime


def _deadline(name: DeadlineName, round_: int, start: dt.datetime, allowance: Allowance, policy: SlaPolicy, factor: float = 1.0) -> Deadline:
    due = add_allowance(start, allowance, policy.calendar, factor)
    grace = add_allowance(due, allowance, policy.calendar, factor * policy.manager_grace_factor)
    return Deadline(name=name, round=round_, due_at=due, manager_at=grace)


def deadlines_for(cls: SlaClass, opened_at: dt.datetime, policy: SlaPolicy) -> list[Deadline]:
    """The deadlines a new work order of this class gets."""
    targets = policy.targets.get(cls) or DEFAULT_TARGETS[cls]
    found = [_deadline("respond", 0, opened_at, targets.respond, policy)]
    if targets.on_site is not None:
        found.append(_deadline("on_site", 0, opened_at, targets.on_site, policy))
    found.append(_deadline("resolve", 0, opened_at, targets.resolve, policy))
    return found


def reopen_deadline(cls: SlaClass, reopened_at: dt.datetime, round_: int, policy: SlaPolicy) -> Deadline:
    """Second dispatch: a tighter resolve deadline, a share of the original allowance."""
    targets = policy.targets.get(cls) or DEFAULT_TARGETS[cls]
    return _deadline("resolve", round_, reopened_at, targets.resolve, policy, policy.reopen_factor)


# Which deadline an action meets: a complaint counts as settled only once it is closed.
def deadlines_met_by(action: str, cls: str) -> tuple[DeadlineName, ...]:
    if action == "assign":
        return ("respond",)
    if action == "start":
        return ("on_site",)
    if action == "resolve" and cls != "complaint":
        return ("resolve",)
    if action == "close" and cls == "complaint":
        return ("resolve",)
    return ()


def escalations_due(due_at: dt.datetime, manager_at: dt.datetime, escalated: str | None, now: dt.datetime) -> list[Level]:
    """The rungs of the ladder to climb now, in order; each rung is climbed once."""
    steps: list[Level] = []
    if escalated is None and now >= due_at:
        steps.append("supervisor")
    if escalated != "manager" and now >= manager_at and now >= due_at:
        steps.append("manager")
    return steps


def deadline_state(due_at: dt.datetime, met_at: dt.datetime | None, voided: bool, now: dt.datetime) -> str:
    if met_at is not None:
        return "met" if met_at <= due_at else "met_late"
    if voided:
        return "void"
    return "breached" if now > due_at else "running"


def next_due(deadlines: list[dict]) -> dt.datetime | None:
    """The earliest deadline still running or breached: what the queue is ordered by."""
    open_ = [d["due_at"] for d in deadlines if d["met_at"] is None and not d["voided"]]
    return min(open_) if open_ else None


def current_due(deadlines: list[dict]) -> dict[str, dt.datetime]:
    """Each deadline's latest round (a second dispatch supersedes the first)."""
    latest: dict[str, dict] = {}
    for d in deadlines:
        if d["name"] not in latest or d["round"] >= latest[d["name"]]["round"]:
            latest[d["name"]] = d
    return {name: d["due_at"] for name, d in latest.items()}
