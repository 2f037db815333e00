"""Archive rules: what a unit's facts are, what changed between two versions, and the
one-line summary each event gets on a unit's timeline.

Pure functions over plain values and event Structs; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from libs.contracts import Event
from libs.contracts.events import (
    ChargePosted,
    PaymentReceived,
    RequestReceived,
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    WorkOrderAssigned,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
    WorkOrderResolved,
    WorkOrderStarted,
)

USES = ("shop", "office", "residence")
OCCUPANT_KINDS = ("merchant", "resident")
TEXT_EXCERPT = 60


class InvalidFact(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Change(msgspec.Struct, frozen=True):
    field: str
    before: Any
    after: Any


# --- unit facts ------------------------------------------------------------------------


def unit_facts(
    *, area_m2: float, use: str, occupant_name: str, occupant_kind: str,
    occupant_phone: str | None, key_account: bool,
) -> dict:
    """The facts that make up one revision of a unit (what the audit trail stores)."""
    return {
        "area_m2": area_m2,
        "use": use,
        "occupant": {"name": occupant_name, "kind": occupant_kind, "phone": occupant_phone},
        "key_account": key_account,
    }


def check_unit_facts(facts: Mapping) -> None:
    area = facts["area_m2"]
    # NaN and infinity pass a plain "> 0" or fail it silently; neither is an area.
    if not isinstance(area, (int, float)) or not math.isfinite(area) or area <= 0:
        raise InvalidFact("area_m2", f"area_m2 must be a positive number of square metres, not {area!r}")
    if facts["use"] not in USES:
        raise InvalidFact("use", f"use must be one of {', '.join(USES)}, not {facts['use']!r}")
    occupant = facts["occupant"]
    if not str(occupant["name"]).strip():
        raise InvalidFact("occupant.name", "occupant.name must not be empty")
    if occupant["kind"] not in OCCUPANT_KINDS:
        raise InvalidFact("occupant.kind", f"occupant.kind must be one of {', '.join(OCCUPANT_KINDS)}")


def diff(before: Mapping | None, after: Mapping) -> list[Change]:
    """Field-by-field changes, nested fields dotted (``occupant.phone``); [] means no change."""
    old, new = _flatten(before or {}), _flatten(after)
    keys = list(new) + [k for k in old if k not in new]
    return [Change(k, old.get(k), new.get(k)) for k in keys if not _same(old.get(k), new.get(k))]


def _flatten(facts: Mapping, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in facts.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _same(a: Any, b: Any) -> bool:
    # 80 and 80.0 are the same area; True and 1 are not the same key-account flag.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


# --- timeline summaries ----------------------------------------------------------------


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def excerpt(text: str, limit: int = TEXT_EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarize_unit_registered(e: UnitRegistered, changes: list[Change] | None = None) -> str:
    if e.revision == 1:
        return f"unit registered: {e.use}, {e.area_m2:g} m², {e.occupant.kind} {e.occupant.name}"
    if changes:
        return f"unit updated (revision {e.revision}): {', '.join(c.field for c in changes)}"
    return f"unit updated (revision {e.revision})"


def _request(e: RequestReceived) -> str:
    text = f'{e.kind} received by {e.channel}: "{excerpt(e.text)}"'
    if e.major:
        text += " (major)"
    if not e.serviceable:
        text += f"; referred to {e.referral}"
    return text


def _created(e: WorkOrderCreated) -> str:
    text = f"work order created ({e.department})"
    return text if e.priority == "normal" else f"{text}, {e.priority}"


def _resolved(e: WorkOrderResolved) -> str:
    if not e.paid:
        return f"work order resolved ({e.department}), free of charge"
    materials = sum(m.quantity * m.unit_price_fen for m in e.materials)
    return f"work order resolved ({e.department}), labour {yuan(e.labour_fen)} + materials {yuan(materials)}"


def _closed(e: WorkOrderClosed) -> str:
    lines = plural(len(e.charge_lines), "charge line") if e.charge_lines else "no charge"
    return f"work order closed ({e.department}), {lines}"


def _reopened(e: WorkOrderReopened) -> str:
    text = f"work order reopened ({e.department}), second dispatch #{e.reopen_count}"
    return f"{text}: {excerpt(e.reason)}" if e.reason else text


def _visit_completed(e: VisitCompleted) -> str:
    text = f"return visit ({e.department}): {e.rating.replace('_', ' ')}"
    return f'{text}, "{excerpt(e.comment)}"' if e.comment else text


SUMMARIES: dict[type, Callable[[Any], str]] = {
    UnitRegistered: summarize_unit_registered,
    RequestReceived: _request,
    WorkOrderCreated: _created,
    WorkOrderAssigned: lambda e: f"work order assigned to {e.assignee} ({e.department})",
    WorkOrderStarted: lambda e: f"work order started ({e.department})",
    WorkOrderResolved: _resolved,
    WorkOrderClosed: _closed,
    WorkOrderReopened: _reopened,
    WorkOrderEscalated: lambda e: f"work order escalated to the {e.level} ({e.department}): {excerpt(e.reason)}",
    VisitScheduled: lambda e: f"return visit scheduled ({e.department}), due {e.due_at.date().isoformat()}",
    VisitCompleted: _visit_completed,
    ChargePosted: lambda e: f"charge posted {yuan(e.amount_fen)}: {excerpt(e.description)}",
    PaymentReceived: lambda e: f"payment received {yuan(e.amount_fen)} by {e.method}",
}


def summarize(event: Event) -> str:
    """One line a clerk can read on the timeline; an event type added later still gets one."""
    describe = SUMMARIES.get(type(event))
    if describe is not None:
        return describe(event)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(event).__name__).lower()


# --- timeline cursor -------------------------------------------------------------------


class TimelineCursor(msgspec.Struct, frozen=True):
    """Position after one item: the timeline is ordered by (occurred_at, event_id)."""

    occurred_at: dt.datetime
    event_id: str

    def encode(self) -> str:
        raw = f"{self.occurred_at.astimezone(dt.timezone.utc).isoformat()}|{self.event_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "TimelineCursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at, event_id = raw.split("|", 1)
            occurred_at = dt.datetime.fromisoformat(at)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidFact("cursor", f"cursor {text!r} is not one this API handed out") from exc
        if occurred_at.tzinfo is None or not event_id:
            raise InvalidFact("cursor", f"cursor {text!r} is not one this API handed out")
        return cls(occurred_at, event_id)
