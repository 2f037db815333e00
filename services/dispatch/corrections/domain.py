"""Correction rules: when a job may move to another department and what that does to it,
and what the desk's reclassification of a request does to its work order.

Pure functions and small values; no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

import msgspec

from libs.runtime import limits
from services.dispatch.routing.domain import is_department
from services.dispatch.sla.domain import sla_class
from services.dispatch.work_orders.domain import OPEN_STATUSES, complaint_category, is_dispatched

# A job still to be done may change hands; a resolved one waits only for its close (its
# work is done), and a closed or cancelled one is history.
REROUTABLE = ("created", "assigned", "in_progress")


class WorkOrderReroute(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    department: limits.line(64, min_length=1)
    reason: limits.Note


class RerouteRefused(Exception):
    def __init__(self, field: str, detail: str, *, conflict: bool) -> None:
        self.field = field
        self.conflict = conflict
        super().__init__(detail)


def rerouted(row: dict, department: str, at: dt.datetime) -> dict:
    """The columns a move to ``department`` changes: the new department's queue starts the
    job afresh (nobody holds it, status created); its deadlines keep running, since the
    occupant is still waiting."""
    if not is_department(department):
        raise RerouteRefused("department", f"department {department!r} must be 1-64 letters, digits, '-' or '_'", conflict=False)
    if row["status"] not in REROUTABLE:
        raise RerouteRefused("status", f"work order {row['id']} is {row['status']}: only a job still to be done "
                             f"({', '.join(REROUTABLE)}) moves to another department", conflict=True)
    if department == row["department"]:
        raise RerouteRefused("department", f"work order {row['id']} is already with {department}", conflict=True)
    return {"department": department, "assignee": None, "status": "created", "updated_at": at}


class Correction(NamedTuple):
    """What a reclassification does to the request's work order."""

    action: Literal["open", "reflag", "cancel", "none"]
    values: dict = {}  # the columns a re-flag changes
    escalate: bool = False  # turned major: to the manager at once
    reroute_to: str | None = None


def correction(row: dict | None, *, kind: str, serviceable: bool, major: bool, department: str | None) -> Correction:
    """A request turned into a serviceable service or complaint opens its job, or re-flags
    the one it has; turned into praise, a suggestion or something not serviceable, its
    open job is called off. A closed or cancelled job is history and stays as it is."""
    dispatched = is_dispatched(kind, serviceable)
    if row is None:
        return Correction("open" if dispatched else "none")
    if row["status"] not in OPEN_STATUSES:
        return Correction("none")
    if not dispatched:
        return Correction("cancel")
    values: dict = {}
    if kind != row["kind"]:
        values.update(kind=kind, category=complaint_category(row["text"]) if kind == "complaint" else None,
                      sla_class=sla_class(kind, row["priority"], row["warranty"]))
    if major != row["major"]:
        values["major"] = major
    moves = department is not None and department != row["department"] and row["status"] in REROUTABLE
    return Correction("reflag", values, major and not row["major"], department if moves else None)


def cancel_reason(kind: str, serviceable: bool, referral: str | None, reason: str) -> str:
    if kind in ("praise", "suggestion"):
        return f"reclassified as {kind}: {reason}"
    referred = f", referred to {referral}" if referral else ""
    return f"not serviceable{referred}: {reason}"
