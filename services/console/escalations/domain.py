"""The supervisor's and the manager's inbox of escalations (升级): the open ones, the
person's own level first, the oldest first; a major complaint marked. Items are dispatch's
escalation inbox (work_order_id, unit, area, department, kind, major, level, reason, cause,
deadline, escalated_at, age_minutes, status, text). Pure rules; no I/O."""

from __future__ import annotations

from services.console.i18n.domain import N_

LEVELS = ("manager", "supervisor")  # the higher rung first
LEVEL_FILTERS = {"": N_("Every level"), "manager": N_("Manager"), "supervisor": N_("Supervisor")}
CAUSE_NAMES = {"major": N_("Major complaint"), "authority": N_("Beyond the clerk's authority"),
               "respond": N_("Respond by"), "on_site": N_("On site by"), "resolve": N_("Resolve by")}


def preferred_level(roles) -> str:
    """The manager's inbox opens on the manager's rung, everyone else's on the supervisor's."""
    return "manager" if "manager" in set(roles) else "supervisor"


def inbox(items: list[dict], level: str | None, prefer: str, names: dict[str, str] | None = None) -> list[dict]:
    """The chosen level (or every level), the person's own rung first, the oldest first;
    whom each was raised to by name where staff knows it (the username otherwise)."""
    names = names or {}
    chosen = [{**i, "to_names": [names.get(u) or u for u in i.get("to") or []]}
              for i in items if not level or i["level"] == level]
    return sorted(chosen, key=lambda i: (i["level"] != prefer, -(i.get("age_minutes") or 0), i["work_order_id"]))
