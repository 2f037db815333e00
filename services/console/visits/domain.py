"""Today's return visits (回访) as the desk works through them: overdue ones first, each
answered in two clicks (how the occupant was reached, what they said); an unsatisfied
answer sends the job back (二次派单), which the page shows at once. Pure rules; no I/O."""

from __future__ import annotations

from typing import Any

from services.console.gateway.domain import FormRefused
from services.console.i18n.domain import N_

RATINGS = {"satisfied": N_("Satisfied"), "basically_satisfied": N_("Basically satisfied"),
           "unsatisfied": N_("Unsatisfied")}
# Phone first: most visits are calls; a door-to-door visit (上门回访) is the second choice.
CHANNELS = {"phone": N_("Phone"), "visit": N_("Door to door")}
STATUS_NAMES = {"pending": N_("Pending"), "overdue": N_("Overdue"), "done": N_("Visited"), "skipped": N_("Skipped")}
WORKLIST_STATUSES = ("overdue", "pending")


def worklist_order(visits: list[dict]) -> list[dict]:
    """Each visit once, overdue before pending, the one due first first."""
    seen: dict[str, dict] = {}
    for visit in visits:
        seen.setdefault(visit["id"], visit)
    return sorted(seen.values(), key=lambda v: (v.get("status") != "overdue", v.get("due_at") or "", v["id"]))


def response_body(rating: str | None, channel: str | None, comment: str | None) -> dict[str, Any]:
    """The answer as survey takes it."""
    if rating not in RATINGS:
        raise FormRefused("rating", f"rating must be one of {', '.join(RATINGS)}")
    body: dict[str, Any] = {"rating": rating, "channel": channel if channel in CHANNELS else "phone"}
    if comment and comment.strip():
        body["comment"] = comment.strip()
    return body


def reopened(visit: dict, order: dict | None) -> bool:
    """The job went back to work after this visit: its reopen count passed the visit's."""
    return bool(order) and order.get("status") != "closed" and order.get("reopen_count", 0) > visit.get("reopen_count", 0)


def waiting_for_reopen(visit: dict, order: dict | None) -> bool:
    """Unsatisfied, and dispatch has not reopened the job yet (it does so from the event)."""
    return visit.get("rating") == "unsatisfied" and not reopened(visit, order)
