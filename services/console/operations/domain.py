"""The operations page's rules, pure: who may see it, how a dead letter and an event set
aside read."""

from __future__ import annotations

import json

from services.console.settings import UPSTREAMS

OPERATOR = "operator"
# Every service keeps its own events set aside (the console has no outbox of its own).
SET_ASIDE_SERVICES = UPSTREAMS


def allowed(roles) -> bool:
    """Operators only (at the plaza or globally): replaying or dropping an event is theirs."""
    return OPERATOR in roles


def event_text(data: bytes) -> str:
    """The event as a person reads it: indented JSON, or the bytes as they came."""
    try:
        return json.dumps(json.loads(data), ensure_ascii=False, indent=2)
    except ValueError:
        return data.decode("utf-8", "replace")


def set_aside_service(name: str) -> str | None:
    """The service a path names, if it is one that keeps events set aside."""
    return name if name in SET_ASIDE_SERVICES else None


def set_aside_count(groups: list[dict]) -> int:
    return sum(len(g["items"]) for g in groups)


def size_text(size: int | None) -> str:
    """A payload's size as an operator compares it with max_payload: 9.0 MB, 512 KB, 80 B."""
    if size is None:
        return "—"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def json_text(value) -> str:
    """An event the service decoded, indented as a person reads it."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)
