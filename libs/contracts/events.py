"""The v1 events of PlazaDesk, grouped by the service (stream) that produces them.

Every class is tagged with its own name (``type``); each stream has a tagged union and a
decoder, so a consumer turns bytes into the right event in one call.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, Union

import msgspec

from libs.contracts.envelope import Event

Channel = Literal["phone", "visit", "letter", "online", "internal"]
Kind = Literal["service", "complaint", "suggestion", "praise"]
Use = Literal["shop", "office", "residence"]
OccupantKind = Literal["merchant", "resident"]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
PaymentMethod = Literal["cash", "card", "transfer", "wechat", "alipay"]


class Occupant(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: OccupantKind
    phone: str | None = None


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    phone: str | None = None


class Material(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    quantity: int
    unit_price_fen: int


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True):
    """One billable line of a work order; ``line_id`` is stable across reopenings."""

    line_id: str
    kind: Literal["labour", "material"]
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


# --- archive -------------------------------------------------------------------------


class PlazaRegistered(Event, frozen=True, kw_only=True, tag=True):
    name: str
    timezone: str = "Asia/Shanghai"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "plaza", "registered")


class UnitRegistered(Event, frozen=True, kw_only=True, tag=True):
    """A unit's facts as archive now holds them; ``revision`` orders successive versions."""

    unit: str
    revision: int
    area_m2: float
    use: Use
    occupant: Occupant
    key_account: bool = False

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "unit", self.unit, "registered")


# --- intake --------------------------------------------------------------------------


class RequestReceived(Event, frozen=True, kw_only=True, tag=True):
    request_id: str
    unit: str
    channel: Channel
    kind: Kind
    text: str
    contact: Contact | None = None
    serviceable: bool = True
    referral: str | None = None
    major: bool = False
    received_by: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "request", "received")


# --- dispatch ------------------------------------------------------------------------


class _WorkOrderEvent(Event, frozen=True, kw_only=True):
    work_order_id: str
    request_id: str
    unit: str
    department: str
    reopen_count: int = 0
    what: ClassVar[str] = ""

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, self.department, "work_order", self.what)


class WorkOrderCreated(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "created"
    kind: Kind
    text: str
    priority: Literal["emergency", "urgent", "normal"] = "normal"
    major: bool = False


class WorkOrderAssigned(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "assigned"
    assignee: str


class WorkOrderStarted(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "started"


class WorkOrderResolved(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "resolved"
    paid: bool
    labour_fen: int
    materials: list[Material] = []
    note: str | None = None


class WorkOrderClosed(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Carries every charge line of the job so far; billing posts each line id once."""

    what: ClassVar[str] = "closed"
    paid: bool
    charge_lines: list[ChargeLine] = []


class WorkOrderReopened(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Second dispatch (二次派单) after an unsatisfied return visit."""

    what: ClassVar[str] = "reopened"
    visit_id: str | None = None
    reason: str = ""


class WorkOrderEscalated(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Raised to the CS supervisor or the property manager (a major complaint: at once)."""

    what: ClassVar[str] = "escalated"
    level: Literal["supervisor", "manager"]
    reason: str


# --- survey --------------------------------------------------------------------------


class VisitScheduled(Event, frozen=True, kw_only=True, tag=True):
    visit_id: str
    work_order_id: str
    unit: str
    department: str
    due_at: dt.datetime

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "scheduled")


class VisitCompleted(Event, frozen=True, kw_only=True, tag=True):
    visit_id: str
    work_order_id: str
    unit: str
    department: str
    rating: Rating
    comment: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "visit", "completed")


# --- billing -------------------------------------------------------------------------


class ChargePosted(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    work_order_id: str
    line_id: str
    description: str
    amount_fen: int
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "charge_posted")


class PaymentReceived(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    amount_fen: int
    method: PaymentMethod
    reference: str | None = None
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "payment_received")


ArchiveEvent = Union[PlazaRegistered, UnitRegistered]
IntakeEvent = RequestReceived
DispatchEvent = Union[
    WorkOrderCreated,
    WorkOrderAssigned,
    WorkOrderStarted,
    WorkOrderResolved,
    WorkOrderClosed,
    WorkOrderReopened,
    WorkOrderEscalated,
]
SurveyEvent = Union[VisitScheduled, VisitCompleted]
BillingEvent = Union[ChargePosted, PaymentReceived]
AnyEvent = Union[ArchiveEvent, IntakeEvent, DispatchEvent, SurveyEvent, BillingEvent]

UNIONS: dict[str, object] = {
    "archive": ArchiveEvent,
    "intake": IntakeEvent,
    "dispatch": DispatchEvent,
    "survey": SurveyEvent,
    "billing": BillingEvent,
}
STREAM_OF: dict[type, str] = {
    cls: service
    for service, union in UNIONS.items()
    for cls in (getattr(union, "__args__", None) or (union,))
}

DECODERS: dict[str, msgspec.json.Decoder] = {
    service: msgspec.json.Decoder(union) for service, union in UNIONS.items()  # type: ignore[arg-type]
}
ANY_DECODER = msgspec.json.Decoder(AnyEvent)
ENCODER = msgspec.json.Encoder()


def encode(event: Event) -> bytes:
    return ENCODER.encode(event)


def decode(data: bytes, stream: str | None = None) -> AnyEvent:
    """Bytes → event; raises msgspec.ValidationError / DecodeError naming what is wrong."""
    return (DECODERS[stream] if stream else ANY_DECODER).decode(data)
