"""Who a notice goes to: an audience is a few filters, all of which a unit must pass (none:
the whole plaza), over the facts notices keeps of the other services. And how many days a
unit's oldest unpaid debt is overdue, by billing's rule. Pure functions; no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import msgspec

from libs.runtime import limits

MAX_DAYS = 36_500


class Audience(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Units that pass every filter given; an empty audience is the whole plaza."""

    buildings: limits.items(limits.Code, 500) = []
    floors: limits.items(limits.Code, 500) = []
    occupant_kind: str | None = None  # merchant or resident
    key_account: bool | None = None
    # Units whose oldest unpaid debt is more than this many days past due.
    arrears_over_days: int | None = None
    open_renovation: bool | None = None  # units with an open renovation permit
    work_order_id: limits.Code | None = None  # the unit a work order is about
    units: limits.items(limits.Code, 10_000) = []


class AudienceRefused(ValueError):
    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def check(audience: Audience) -> Audience:
    if audience.occupant_kind not in (None, "merchant", "resident"):
        raise AudienceRefused("occupant_kind must be merchant or resident", "audience.occupant_kind")
    if audience.arrears_over_days is not None and not 0 <= audience.arrears_over_days <= MAX_DAYS:
        raise AudienceRefused(f"arrears_over_days must be 0 to {MAX_DAYS}", "audience.arrears_over_days")
    return audience


class UnitFacts(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    building: str
    floor: str | None
    occupant_kind: str | None
    key_account: bool


def building_of(unit: str, building: str | None) -> str:
    """Archive's building, else the unit number's prefix (``A-203`` → ``A``)."""
    return building or unit.split("-", 1)[0]


_NUMBER = re.compile(r"(\d{3,})$")


def floor_of(unit: str, floor: str | None) -> str | None:
    """Archive's floor (digits without leading zeros), else the unit number's digits before
    the last two (``A-305`` → ``3``, ``C-0802`` → ``8``); a number too short to tell says
    nothing."""
    if floor:
        floor = str(floor).strip()
        return str(int(floor)) if floor.isdigit() else floor  # "03" is floor 3
    found = _NUMBER.search(unit)
    return str(int(found.group(1)[:-2])) if found else None


def passes(audience: Audience, unit: UnitFacts, *, overdue_days: int | None, renovating: bool,
           work_order_units: set[str]) -> bool:
    """Whether a unit is in the audience; ``overdue_days`` None: it owes nothing overdue."""
    checks = (
        not audience.buildings or unit.building in audience.buildings,
        not audience.floors or (unit.floor is not None and unit.floor in {floor_of("", f) for f in audience.floors}),
        audience.occupant_kind is None or unit.occupant_kind == audience.occupant_kind,
        audience.key_account is None or unit.key_account == audience.key_account,
        audience.arrears_over_days is None or (overdue_days is not None and overdue_days > audience.arrears_over_days),
        audience.open_renovation is None or renovating == audience.open_renovation,
        audience.work_order_id is None or unit.unit in work_order_units,
        not audience.units or unit.unit in audience.units,
    )
    return all(checks)


def describe(audience: Audience) -> str:
    """The audience in the desk's words, for the list and the approval."""
    parts = []
    if audience.buildings:
        parts.append("buildings " + ", ".join(audience.buildings))
    if audience.floors:
        parts.append("floors " + ", ".join(audience.floors))
    if audience.occupant_kind:
        parts.append(audience.occupant_kind + "s")
    if audience.key_account is not None:
        parts.append("key accounts" if audience.key_account else "not key accounts")
    if audience.arrears_over_days is not None:
        parts.append(f"in arrears over {audience.arrears_over_days} days")
    if audience.open_renovation is not None:
        parts.append("with an open renovation permit" if audience.open_renovation else "not renovating")
    if audience.work_order_id:
        parts.append(f"affected by work order {audience.work_order_id}")
    if audience.units:
        parts.append(f"{len(audience.units)} named units")
    return "; ".join(parts) or "the whole plaza"


# --- arrears ----------------------------------------------------------------------------------


class Due(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str
    direction: int  # +1 debit, -1 credit, 0 a correction
    amount_fen: int
    due_date: dt.date | None
    occurred_at: dt.datetime
    reverses_entry_id: str | None = None


def oldest_unpaid_due(entries: Iterable[Due], zone: dt.tzinfo) -> dt.date | None:
    """The due date of the oldest debit left unpaid once every credit went to the oldest due
    first (billing's rule; a correction cancels exactly the entry it reverses). None: all paid."""
    entries = list(entries)
    reversed_ids = {e.reverses_entry_id for e in entries if e.reverses_entry_id}
    live = [e for e in entries if e.direction != 0 and e.entry_id not in reversed_ids]
    credit = sum(e.amount_fen for e in live if e.direction < 0)

    def due(e: Due) -> dt.date:
        return e.due_date or e.occurred_at.astimezone(zone).date()

    for e in sorted((e for e in live if e.direction > 0), key=lambda e: (due(e), e.occurred_at, e.entry_id)):
        paid = min(credit, e.amount_fen)
        credit -= paid
        if paid < e.amount_fen:
            return due(e)
    return None


def overdue_days(oldest_due: dt.date | None, today: dt.date) -> int | None:
    """Days past due of the oldest unpaid debt; None when nothing unpaid is past due."""
    if oldest_due is None or oldest_due >= today:
        return None
    return (today - oldest_due).days
