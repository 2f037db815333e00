"""Move-in season's view rules: which step of a renovation permit its state allows (and to
whom), what a booked handover allows, the days shown, and the inspection form's defects.
No I/O."""

from __future__ import annotations

import datetime as dt

import msgspec

from services.console.i18n.domain import N_

APPOINTMENT_STATUS: dict[str, str] = {"booked": N_("Booked"), "cancelled": N_("Cancelled"),
                                      "inspected": N_("Inspected")}
RENOVATION_STATUS: dict[str, str] = {
    "applied": N_("Applied"), "reviewed": N_("Reviewed"), "rejected": N_("Rejected"), "approved": N_("Approved"),
    "rectification_required": N_("Rectification required"), "inspection_passed": N_("Inspection passed"),
    "closed": N_("Closed")}
STEP_WORDS: dict[str, str] = {"review": N_("Review"), "approve": N_("Approve the permit"),
                              "final_inspection": N_("Final inspection"), "close": N_("Close the permit")}
STEP_PATHS: dict[str, str] = {"review": "review", "approve": "approve", "final_inspection": "final-inspection",
                              "close": "close"}

# The permit's state machine as intake runs it: apply → review → approve → final inspection
# (again until it passes) → close; rejected and closed are the ends.
_STEPS: dict[str, tuple[str, ...]] = {
    "applied": ("review",), "reviewed": ("approve",), "approved": ("final_inspection",),
    "rectification_required": ("final_inspection",), "inspection_passed": ("close",),
}
_LEADS = frozenset({"supervisor", "manager", "operator"})
_WHO: dict[str, frozenset[str]] = {
    "review": _LEADS, "approve": _LEADS, "final_inspection": _LEADS | {"staff"},
    "close": frozenset({"clerk", "supervisor", "manager", "operator"}),
}
DESK = frozenset({"clerk", "supervisor", "manager", "operator"})
PROGRESS = ("applied", "reviewed", "approved", "inspection_passed", "closed")


def renovation_steps(status: str, roles: set[str] | frozenset[str] | None = None) -> list[str]:
    """The steps a permit in ``status`` can take next; with ``roles``, only those the person's
    roles may take (the service still decides)."""
    steps = list(_STEPS.get(status, ()))
    if roles is None:
        return steps
    return [s for s in steps if _WHO[s] & set(roles)]


def progress(status: str) -> list[tuple[str, str]]:
    """The permit's path with each stage done, current or to come (a rejected permit stops at
    its review; a failed final inspection waits at approved)."""
    at = {"rejected": "applied", "rectification_required": "approved"}.get(status, status)
    index = PROGRESS.index(at) if at in PROGRESS else 0
    return [(stage, "done" if i < index or status == "closed" else "current" if i == index else "todo")
            for i, stage in enumerate(PROGRESS)]


def appointment_actions(status: str, roles: set[str] | frozenset[str]) -> list[str]:
    if status != "booked":
        return []
    found = []
    if set(roles) & DESK:
        found.append("cancel")
    if set(roles) & (DESK | {"staff"}):
        found.append("inspect")
    return found


def days(today: dt.date, shown: int = 14) -> list[dt.date]:
    return [today + dt.timedelta(days=i) for i in range(shown)]


def day_of(value: str | None, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else today
    except ValueError:
        return today


class DefectRow(msgspec.Struct, frozen=True, kw_only=True):
    description: str
    responsible_party: str
    location: str | None = None


def defects_from(form: dict[str, str], rows: int = 10) -> tuple[list[dict], dict[str, str]]:
    """The inspection form's filled defect rows; a row with a description needs who fixes it."""
    found, errors = [], {}
    for i in range(rows):
        description = (form.get(f"defect_{i}_description") or "").strip()
        party = (form.get(f"defect_{i}_party") or "").strip()
        location = (form.get(f"defect_{i}_location") or "").strip()
        if not description:
            continue
        if not party:
            errors[f"defects[{len(found)}].responsible_party"] = N_("Name who fixes it under warranty")
        found.append(msgspec.to_builtins(DefectRow(description=description, responsible_party=party or "—",
                                                   location=location or None)))
    return found, errors


def yuan_to_fen(value: str | None) -> int | None:
    """A sum typed in yuan (1,200.50) as integer fen; None when it is not a sum."""
    text = (value or "").replace(",", "").replace("¥", "").strip()
    if not text:
        return 0
    try:
        amount = round(float(text) * 100)
    except ValueError:
        return None
    return amount if amount >= 0 else None
