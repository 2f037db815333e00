"""Events on the INTAKE stream (produced by intake)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class CallRecord(msgspec.Struct, frozen=True, kw_only=True):
    """How a phone call was answered (接听商户电话: within three rings, the greeting, read back)."""

    rang_at: dt.datetime
    answered_at: dt.datetime
    greeting: bool = False
    read_back: bool = False


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
    # Added in v1 (compatible: defaults). Complaint severity; the department a praise names.
    severity: Literal["minor", "normal", "major"] | None = None
    praised_department: str | None = None
    kind_reason: str | None = None
    # Added in v1 (compatible: defaults), so that intake's own read model is rebuilt from
    # the event alone: why the severity, and the department an internal report came from.
    severity_reason: str | None = None
    source_department: str | None = None
    # Added in v1 (compatible: defaults). The department intake proposes from the text, or
    # the one the clerk chose (``department_chosen``: dispatch then routes there, over its
    # own plaza rules). A request about a public area (car park B2, east entrance) or from a
    # caller who is not an occupant carries ``unit`` "" and names the ``area``; ``mixed_with``
    # links the two records a mixed message became (a repair and a thank-you).
    department: str | None = None
    department_chosen: bool = False
    area: str | None = None
    mixed_with: str | None = None
    # Added in v1 (compatible: default). A phone request: when the call rang and was
    # answered, and the desk's etiquette checklist (greeting given, key points read back);
    # the clerk is ``received_by``. Staff's phone-etiquette figures are built from it.
    call: CallRecord | None = None
    # Added in v1 (compatible: default). The catalogue service the request orders (a paid
    # service: air-conditioner cleaning, moving furniture …); dispatch carries it to the job.
    catalogue_item: CatalogueOrder | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "request", "received")


class RequestReclassified(Event, frozen=True, kw_only=True, tag=True):
    """The desk corrected what intake decided about a request: its kind, severity, referral
    or department, with the actor (the envelope's) and a reason. Dispatch opens or re-flags
    the work order, billing holds dunning for a complaint, reports count it anew."""

    request_id: str
    unit: str
    kind: Kind
    previous_kind: Kind
    severity: Literal["minor", "normal", "major"] | None = None
    major: bool = False
    serviceable: bool = True
    referral: str | None = None
    department: str | None = None
    reason: str
    area: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "request", "reclassified")


class Defect(msgspec.Struct, frozen=True, kw_only=True):
    """A defect found at handover (工程遗留问题): becomes a warranty work order."""

    defect_id: str
    description: str
    location: str | None = None
    responsible_party: str  # the contractor / developer who must fix it under warranty
    department: str = "engineering"


class HandoverInspected(Event, frozen=True, kw_only=True, tag=True):
    """A handover inspection (收楼验收) was done; each defect opens a warranty work order
    (dispatch uses ``defect_id`` as the work order's request id)."""

    unit: str
    inspection_id: str
    appointment_id: str | None = None
    accepted: bool
    defects: list[Defect] = []
    inspector: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "handover", "inspected")


class Worker(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    id_number: str | None = None
    phone: str | None = None


class RenovationApproved(Event, frozen=True, kw_only=True, tag=True):
    """A renovation permit (装修许可) was approved: security issues the worker passes;
    billing holds the deposit."""

    unit: str
    permit_id: str
    deposit_fen: Fen
    valid_from: dt.date
    valid_until: dt.date
    workers: list[Worker] = []

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "renovation", "approved")


class RenovationClosed(Event, frozen=True, kw_only=True, tag=True):
    """Final inspection passed and the permit is closed: billing refunds the deposit less
    any deduction (damage to common areas, …)."""

    unit: str
    permit_id: str
    deduction_fen: Fen = 0
    deduction_reason: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "renovation", "closed")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (RequestReceived, RequestReclassified, HandoverInspected, RenovationApproved, RenovationClosed)
