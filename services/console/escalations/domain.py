"""The supervisor's and the manager's inbox of escalations (升级): the open ones, the
person's own level first, the oldest first; a major complaint marked. Items have dispatch's
escalation-list shape (work_order_id, unit, area, department, kind, major, level, reason,
deadline, escalated_at, age_minutes, status), composed here from work orders where the list
is not available. Pure rules; no I/O."""

from __future__ import annotations

import datetime as dt

from services.console.i18n.domain import N_
from services.console.work_orders.domain import OPEN_STATUSES, instant

LEVELS = ("manager", "supervisor")  # the higher rung first
LEVEL_FILTERS = {"": N_("Every level"), "manager": N_("Manager"), "supervisor": N_("Supervisor")}
CAUSE_NAMES = {"major": N_("Major complaint"), "authority": N_("Beyond the clerk's authority"),
               "respond": N_("Respond by"), "on_site": N_("On site by"), "resolve": N_("Resolve by")}


def preferred_level(roles) -> str:
    """The manager's inbox opens on the manager's rung, everyone else's on the supervisor's."""
    return "manager" if "manager" in set(roles) else "supervisor"


def _top(escalations: list[dict]) -> dict | None:
    """The escalation that stands: the highest rung reached, its latest."""
    if not escalations:
        return None
    return max(escalations, key=lambda e: (LEVELS[::-1].index(e["level"]) if e["level"] in LEVELS else -1,
                                           e.get("occurred_at") or ""))


def _deadline(order: dict, cause: str | None) -> str | None:
    """The due time of the deadline whose breach raised it; else the job's next one."""
    if cause and ":" in cause:
        name, _, rnd = cause.partition(":")
        for d in order.get("deadlines") or []:
            if d["name"] == name and str(d["round"]) == rnd:
                return d["due_at"]
    return order.get("next_due_at")


def item_of(order: dict, now: dt.datetime) -> dict | None:
    """An open work order's standing escalation in the list's shape; a major complaint is one
    even before its record is read."""
    if order.get("status") not in OPEN_STATUSES:
        return None
    top = _top(order.get("escalations") or [])
    if top is None and not order.get("major"):
        return None
    at = (top or {}).get("occurred_at") or order.get("created_at")
    since = instant(at)
    return {
        "work_order_id": order["id"], "unit": order["unit"], "area": order.get("area"),
        "department": order["department"], "kind": order["kind"], "major": bool(order.get("major")),
        "level": top["level"] if top else "manager", "reason": top["reason"] if top else N_("Major complaint"),
        "cause": top.get("cause") if top else "major", "deadline": _deadline(order, (top or {}).get("cause")),
        "escalated_at": at, "age_minutes": int((now - since).total_seconds() // 60) if since else 0,
        "status": order["status"], "text": order.get("text"),
    }


def may_have_escalated(order: dict) -> bool:
    """Whether a listed job (which carries no escalations) can stand in the inbox: a major
    complaint, a deadline escalated, a second dispatch; a clerk's escalation shows in none
    of these, so every open job is read whole while the list endpoint is missing."""
    return order.get("status") in OPEN_STATUSES


def inbox(items: list[dict], level: str | None, prefer: str) -> list[dict]:
    """The chosen level (or every level), the person's own rung first, the oldest first."""
    chosen = [i for i in items if not level or i["level"] == level]
    return sorted(chosen, key=lambda i: (i["level"] != prefer, -(i.get("age_minutes") or 0), i["work_order_id"]))
