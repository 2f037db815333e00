"""Events on the ARCHIVE stream (produced by archive)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

DocumentKind = Literal["contract", "permit", "certificate", "other"]


# Where the plazas are: the zone of a plaza that does not say, or is not known yet.
DEFAULT_TIMEZONE = "Asia/Shanghai"


class PlazaRegistered(Event, frozen=True, kw_only=True, tag=True):
    name: str
    timezone: str = DEFAULT_TIMEZONE

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "plaza", "registered")


def plaza_zone(timezone: str | None) -> dt.tzinfo:
    """The zone a plaza counts its days in (due dates, report months, "in the past"): its
    ``PlazaRegistered.timezone``, or the default one while a service has not been told it
    (or cannot read it)."""
    try:
        return ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


class UnitContact(msgspec.Struct, frozen=True, kw_only=True):
    """A contact or family member of a unit's occupant (relation: owner, spouse, manager, …)."""

    name: str
    relation: str
    phone: str | None = None


class UnitRegistered(Event, frozen=True, kw_only=True, tag=True):
    """A unit's facts as archive now holds them; ``revision`` orders successive versions."""

    unit: str
    revision: Quantity
    area_m2: Area
    use: Use
    occupant: Occupant
    key_account: bool = False
    # Added in v1 (compatible: defaults). None means archive does not know it.
    building: str | None = None
    floor: str | None = None
    contacts: list[UnitContact] = []
    handover_date: dt.date | None = None  # 入伙
    occupancy_date: dt.date | None = None  # 入住
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "unit", self.unit, "registered")


class DocumentAttached(Event, frozen=True, kw_only=True, tag=True):
    """A document (contract, permit, certificate, …) was filed on a unit."""

    unit: str
    document_id: str
    kind: DocumentKind
    filename: str
    content_type: str
    size_bytes: Quantity
    sha256: str

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "unit", self.unit, "document_attached")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (PlazaRegistered, UnitRegistered, DocumentAttached)
