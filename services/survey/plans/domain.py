"""Key-account visit plans (重点客户回访计划): each month every key-account unit gets one
planned visit; a supervisor other than whoever drafted it approves the plan; each visit's outcome is recorded until the
plan is complete.

Plan: draft → approved → completed (every planned visit has an outcome). Only an approved
plan takes outcomes, so nobody is visited on a plan the supervisor has not seen.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal, get_args

import msgspec

from libs.runtime import foureyes

PlanStatus = Literal["draft", "approved", "completed"]
Outcome = Literal["completed", "not_reached", "declined"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class PlanRefused(Exception):
    def __init__(self, reason: str, *, field: str, conflict: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.conflict = conflict


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    planned: int
    recorded: int
    completed: int
    not_reached: int
    declined: int
    completion_rate: float | None  # visits done over visits planned (计划完成率)


def schedule(units: list[str], month: str) -> list[tuple[str, dt.date]]:
    """Spread the month's visits evenly over its days, in unit order."""
    year, mon = map(int, month.split("-"))
    days = calendar.monthrange(year, mon)[1]
    ordered = sorted(units)
    return [(u, dt.date(year, mon, 1 + (i * days) // len(ordered))) for i, u in enumerate(ordered)]


def approve(status: str, drafted_by: str | None, approver: str) -> PlanStatus:
    """Four eyes: whoever drafted the plan cannot approve it (a plan the hourly job drafted
    was drafted by ``survey``, so any supervisor may)."""
    if status != "draft":
        raise PlanRefused(f"only a draft plan can be approved; this one is {status}", field="status", conflict=True)
    foureyes.second_person(drafted_by, approver, "this key-account plan")
    return "approved"


def check_outcome(plan_status: str, recorded: str | None, outcome: str) -> Outcome:
    if plan_status == "draft":
        raise PlanRefused("the plan is not approved yet: visits follow an approved plan", field="status", conflict=True)
    if recorded is not None:
        raise PlanRefused(f"this visit's outcome is already recorded ({recorded})", field="unit", conflict=True)
    if outcome not in OUTCOMES:
        raise PlanRefused(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    return outcome  # type: ignore[return-value]


def status_after(status: str, outcomes: list[str | None]) -> PlanStatus:
    if status == "approved" and outcomes and all(o is not None for o in outcomes):
        return "completed"
    return status  # type: ignore[return-value]


def completion(outcomes: list[str | None]) -> Completion:
    counts = {o: sum(1 for x in outcomes if x == o) for o in OUTCOMES}
    planned = len(outcomes)
    return Completion(
        planned=planned,
        recorded=sum(1 for o in outcomes if o is not None),
        completed=counts["completed"],
        not_reached=counts["not_reached"],
        declined=counts["declined"],
        completion_rate=round(counts["completed"] / planned, 4) if planned else None,
    )
