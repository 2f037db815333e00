"""The escalation inbox's rules: which escalations come first, and what an item says.

Pure functions and small values; no I/O.
"""

from __future__ import annotations

import datetime as dt

from services.dispatch.sla.domain import DEADLINE_NAMES
from services.dispatch.work_orders.domain import OPEN_STATUSES


def is_open(status: str) -> bool:
    """An escalation is open while its job is still being worked on."""
    return status in OPEN_STATUSES


def is_major_complaint(kind: str, major: bool) -> bool:
    return kind == "complaint" and major


def inbox_order(item: dict) -> tuple:
    """Open escalations first, major complaints first among them, then the oldest first:
    what has waited longest at the top of the pile it belongs to."""
    return (not is_open(item["status"]), not is_major_complaint(item["kind"], item["major"]), item["escalated_at"], item["event_id"])


def deadline_of(cause: str) -> str | None:
    """The breached deadline an SLA escalation was raised for (its cause is ``<deadline>:<round>``)."""
    name = cause.split(":", 1)[0]
    return name if name in DEADLINE_NAMES else None


def age_minutes(escalated_at: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - escalated_at).total_seconds() // 60))
