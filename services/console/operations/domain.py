"""The operations page's rules, pure: who may see it and how a dead letter reads."""

from __future__ import annotations

import json

OPERATOR = "operator"


def allowed(roles) -> bool:
    """Operators only (at the plaza or globally): replaying or dropping an event is theirs."""
    return OPERATOR in roles


def event_text(data: bytes) -> str:
    """The event as a person reads it: indented JSON, or the bytes as they came."""
    try:
        return json.dumps(json.loads(data), ensure_ascii=False, indent=2)
    except ValueError:
        return data.decode("utf-8", "replace")
