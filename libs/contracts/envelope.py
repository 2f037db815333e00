"""The envelope every event carries.

Each event is a frozen msgspec Struct tagged by ``type`` so that one decoder per stream
turns bytes into the right class in one call. Schema evolution follows msgspec's rules:
new fields only with defaults, never retype a field; anything else is a new tag (``…V2``).
"""

from __future__ import annotations

import datetime as dt

import msgspec
import uuid_utils


def new_event_id() -> str:
    """Time-ordered UUID (v7) as text: sortable, and unique across replicas."""
    return str(uuid_utils.uuid7())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: str = msgspec.field(default_factory=new_event_id)
    version: int = 1
    plaza_id: str
    occurred_at: dt.datetime = msgspec.field(default_factory=utcnow)
    correlation_id: str
    causation_id: str | None = None
    actor: str = "system"

    @property
    def unit_id(self) -> str | None:
        """The unit this event is about, if any (archive files it on that unit's timeline). A
        request about a public area, or from a caller who is no occupant, carries ``unit`` ""
        and is about no unit: its plaza alone must be known to the services."""
        return getattr(self, "unit", None) or None
