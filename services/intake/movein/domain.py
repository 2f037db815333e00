"""Move-in season rules (交房/收楼, 装修手续): handover capacity and the renovation
permit's state machine. Pure; no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from libs.contracts.events import Worker
from libs.runtime import limits
from services.intake.requests.domain import ContactIn, Refused, check_department

DEFAULT_DAILY_CAPACITY = 20

AppointmentStatus = Literal["booked", "cancelled", "inspected"]
RenovationStatus = Literal[
    "applied", "reviewed", "rejected", "approved", "rectification_required", "inspection_passed", "closed"
]
Action = Literal["review", "approve", "final_inspection", "close"]


class TransitionRefused(Refused):
    """The permit is in a state where this step cannot happen (HTTP 409)."""


class Capacity(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Handover appointments a plaza can take per day; ``by_date`` overrides a day."""

    per_day: limits.Count = DEFAULT_DAILY_CAPACITY
    by_date: Annotated[dict[dt.date, limits.Count], msgspec.Meta(max_length=limits.DATES_MAX)] = {}

    def on(self, day: dt.date) -> int:
        return self.by_date.get(day, self.per_day)


def check_capacity(capacity: Capacity) -> Capacity:
    if capacity.per_day < 0:
        raise Refused("per_day must be zero or more", field="per_day")
    for day, n in capacity.by_date.items():
        if n < 0:
            raise Refused(f"capacity on {day.isoformat()} must be zero or more", field="by_date")
    return capacity


def local_day(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The plaza's calendar day at an instant: 23:30 UTC is already the next day in
    Shanghai (the zone: ``plaza_zone`` of the plaza's registered one)."""
    return at.astimezone(zone).date()


def check_booking(day: dt.date, today: dt.date) -> None:
    """``today`` is the plaza's own day (``local_day``), not UTC's."""
    if day < today:
        raise Refused(f"date {day.isoformat()} is in the past", field="date")


def day_full(day: dt.date, limit: int) -> TransitionRefused:
    """A day whose appointments are all taken: a state of the plaza's calendar (HTTP 409)."""
    return TransitionRefused(
        f"handover appointments on {day.isoformat()} are full ({limit} a day); choose another date", field="date")


def can_cancel(status: AppointmentStatus) -> None:
    if status != "booked":
        raise TransitionRefused(f"the appointment is {status}; only a booked one can be cancelled", field="status")


def can_inspect(status: AppointmentStatus) -> None:
    if status != "booked":
        raise TransitionRefused(f"the appointment is {status}; only a booked one can be inspected", field="status")


# Renovation permit: apply → review → approve → final inspection (again until it passes) → close.
_RENOVATION_STEPS: dict[tuple[str, str], str] = {
    ("applied", "review:approve"): "reviewed",
    ("applied", "review:reject"): "rejected",
    ("reviewed", "approve"): "approved",
    ("approved", "final_inspection:passed"): "inspection_passed",
    ("approved", "final_inspection:failed"): "rectification_required",
    ("rectification_required", "final_inspection:passed"): "inspection_passed",
    ("rectification_required", "final_inspection:failed"): "rectification_required",
    ("inspection_passed", "close"): "closed",
}


# A permit is open while the state machine can still move it on: only rejected and closed
# end it. A unit has at most one open permit.
OPEN_RENOVATION: frozenset[str] = frozenset(status for status, _ in _RENOVATION_STEPS)


def already_open(unit: str, permit_id: str, status: str) -> TransitionRefused:
    """The unit's open permit stands in the way (HTTP 409, like any wrong state)."""
    return TransitionRefused(
        f"unit {unit!r} already has an open renovation permit {permit_id} ({status}); "
        "it must be closed or rejected before the unit can apply again",
        field="unit",
    )


def next_status(status: str, step: str) -> RenovationStatus:
    """The status after ``step`` (e.g. "review:approve"); refused naming the current status."""
    after = _RENOVATION_STEPS.get((status, step))
    if after is None:
        action = step.split(":")[0].replace("_", " ")
        allowed = sorted({s.split(":")[0].replace("_", " ") for (st, s) in _RENOVATION_STEPS if st == status})
        hint = f"; it can now take: {', '.join(allowed)}" if allowed else "; it is finished"
        raise TransitionRefused(f"the renovation is {status}: cannot {action}{hint}", field="status")
    return after  # type: ignore[return-value]


def check_application(start: dt.date, end: dt.date, deposit_fen: int, contractor: str, *, today: dt.date) -> None:
    """``today`` is the plaza's own day (``local_day``), not UTC's."""
    if start < today:
        raise Refused(f"start {start.isoformat()} is in the past", field="start")
    if end < start:
        raise Refused(f"end {end.isoformat()} is before start {start.isoformat()}", field="end")
    if deposit_fen < 0:
        raise Refused("deposit_fen must be zero or more", field="deposit_fen")
    if not contractor.strip():
        raise Refused("contractor must name who does the work", field="contractor")


def check_deduction(deduction_fen: int, reason: str | None, deposit_fen: int) -> None:
    if deduction_fen < 0:
        raise Refused("deduction_fen must be zero or more", field="deduction_fen")
    if deduction_fen > deposit_fen:
        raise Refused(f"deduction_fen {deduction_fen} is more than the {deposit_fen} fen deposit", field="deduction_fen")
    if deduction_fen and not (reason or "").strip():
        raise Refused("a deduction needs its reason", field="deduction_reason")


# --- what the move-in routes take ----------------------------------------------------------


class AppointmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    date: dt.date
    contact: ContactIn | None = None
    note: limits.Note | None = None


class CancelBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note | None = None


class DefectCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: limits.Text
    responsible_party: limits.Name
    location: limits.Name | None = None
    department: limits.Name = "engineering"


class InspectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    accepted: bool
    defects: limits.items(DefectCreate, limits.DEFECTS_MAX) = []
    inspector: limits.Name | None = None


def check_defects(defects: list[DefectCreate]) -> None:
    for i, d in enumerate(defects):
        if not d.description.strip():
            raise Refused("a defect needs its description", field=f"defects[{i}].description")
        if not d.responsible_party.strip():
            raise Refused("a defect needs the party responsible for it under warranty", field=f"defects[{i}].responsible_party")
        check_department(d.department, f"defects[{i}].department")


class WorkerIn(Worker, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A worker as a request body takes it: the event's Worker, bounded."""

    name: limits.Name
    id_number: limits.Code | None = None
    phone: limits.Phone | None = None


class RenovationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    contractor: limits.Name
    start: dt.date
    end: dt.date
    deposit_fen: limits.Amount
    description: limits.Text
    workers: limits.items(WorkerIn, limits.WORKERS_MAX) = []


class ReviewBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    decision: Literal["approve", "reject"]
    note: limits.Note | None = None


class StepBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: limits.Note | None = None


class FinalInspectionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    passed: bool
    deduction_fen: limits.Amount = 0
    deduction_reason: limits.Note | None = None
    note: limits.Note | None = None
