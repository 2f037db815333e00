"""Timeline rules: the one-line summary each event gets on a unit's timeline, the fact it
tells (filed once whatever its event ids), the families ``?kind=`` names, a plaza's day and
the paging cursor.

Pure functions over plain values and event Structs; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

import msgspec

from libs.contracts import Event
from libs.contracts.events import (
    STREAM_OF,
    ArrearsEscalated,
    ChargePosted,
    DepositHeld,
    DepositRefunded,
    DocumentAttached,
    DunningReminderIssued,
    EntryCorrected,
    HandoverInspected,
    InvoiceIssued,
    NoticeDelivered,
    NoticeRead,
    RenovationApproved,
    RenovationClosed,
    WorkOrderCancelled,
    PaymentReceived,
    RefundIssued,
    RequestReceived,
    RequestReclassified,
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    VisitSkipped,
    WorkOrderAssigned,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
    WorkOrderRerouted,
    WorkOrderResolved,
    WorkOrderStarted,
)

TEXT_EXCERPT = 60


class InvalidFact(ValueError):
    """A value archive cannot take, named by its field (the API answers 400). Defined here,
    in the capability every other one builds on, so that all of them refuse alike."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- timeline summaries ----------------------------------------------------------------


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def excerpt(text: str, limit: int = TEXT_EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarize_unit_registered(e: UnitRegistered, changed: list[str] | None = None) -> str:
    """``changed``: the fields that changed since the revision before (register's diff)."""
    if e.revision == 1:
        return f"unit registered: {e.use}, {e.area_m2:g} m², {e.occupant.kind} {e.occupant.name}"
    if changed:
        return f"unit updated (revision {e.revision}): {', '.join(changed)}"
    return f"unit updated (revision {e.revision})"


def _request(e: RequestReceived) -> str:
    text = f'{e.kind} received by {e.channel}: "{excerpt(e.text)}"'
    if e.major:
        text += " (major)"
    if not e.serviceable:
        text += f"; referred to {e.referral}"
    return text


def _reclassified(e: RequestReclassified) -> str:
    text = f"request corrected: {e.previous_kind} → {e.kind}"
    if e.major:
        text += " (major)"
    if e.department:
        text += f", to {e.department}"
    if not e.serviceable:
        text += f"; referred to {e.referral}"
    return f"{text}: {excerpt(e.reason)}"


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


def _inspected(e: HandoverInspected) -> str:
    verdict = "accepted" if e.accepted else "not accepted"
    return f"handover inspected, {verdict}, {plural(len(e.defects), 'defect')}" if e.defects else f"handover inspected, {verdict}, no defects"


def _renovation_closed(e: RenovationClosed) -> str:
    if not e.deduction_fen:
        return "renovation permit closed, deposit refunded in full"
    reason = f" ({excerpt(e.deduction_reason)})" if e.deduction_reason else ""
    return f"renovation permit closed, {yuan(e.deduction_fen)} deducted from the deposit{reason}"


def _refund(e: RefundIssued) -> str:
    text = f"refund {yuan(e.amount_fen)} out of credit by {e.method}"
    return f"{text}: {excerpt(e.reason)}" if e.reason else text


def _corrected(e: EntryCorrected) -> str:
    return (f"entry {e.reverses_entry_id} corrected, {yuan(e.amount_fen)} reversed: {excerpt(e.reason)} "
            f"(approved by {e.approver})")


def _deposit_refunded(e: DepositRefunded) -> str:
    if not e.deduction_fen:
        return f"deposit refunded {yuan(e.amount_fen)} in full for permit {e.permit_id}"
    reason = f": {excerpt(e.deduction_reason)}" if e.deduction_reason else ""
    if not e.held_fen:
        return f"permit {e.permit_id} settled without a deposit, {yuan(e.deduction_fen)} charged{reason}"
    deducted = f"({yuan(e.deduction_fen)} deducted{reason})"
    if not e.amount_fen:
        return f"deposit {yuan(e.held_fen)} kept in full for permit {e.permit_id} {deducted}"
    return f"deposit refunded {yuan(e.amount_fen)} for permit {e.permit_id} {deducted}"


SUMMARIES: dict[type, Callable[[Any], str]] = {
    DocumentAttached: lambda e: f"{e.kind} attached: {excerpt(e.filename)} ({plural(e.size_bytes, 'byte')})",
    HandoverInspected: _inspected,
    RenovationApproved: lambda e: (f"renovation permit approved {e.valid_from.isoformat()} to {e.valid_until.isoformat()}, "
                                   f"deposit {yuan(e.deposit_fen)}, {plural(len(e.workers), 'worker')}"),
    RenovationClosed: _renovation_closed,
    WorkOrderCancelled: lambda e: f"work order cancelled ({e.department}): {excerpt(e.reason)}",
    UnitRegistered: summarize_unit_registered,
    RequestReceived: _request,
    RequestReclassified: _reclassified,
    WorkOrderCreated: _created,
    WorkOrderRerouted: lambda e: f"work order sent from {e.from_department} to {e.department}: {excerpt(e.reason)}",
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
    RefundIssued: _refund,
    EntryCorrected: _corrected,
    DepositHeld: lambda e: f"deposit {yuan(e.amount_fen)} held for permit {e.permit_id}",
    DepositRefunded: _deposit_refunded,
    NoticeDelivered: lambda e: f"{'urgent ' if e.urgent else ''}{e.kind} delivered: {excerpt(e.title)}"
                               + (f" (by {', '.join(e.channels)})" if e.channels else ""),
    NoticeRead: lambda e: f"notice read ({e.via}): {e.notice_id}",
}


def summarize(event: Event) -> str:
    """One line a clerk can read on the timeline; an event type added later still gets one."""
    describe = SUMMARIES.get(type(event))
    if describe is not None:
        return describe(event)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(event).__name__).lower()


# What ``?kind=`` on the timeline means: a family of event types a clerk thinks of as one.
# Derived from the contracts, so an event another service adds later lands in its family.
_PREFIX_KINDS = (("WorkOrder", "work_order"), ("Visit", "visit"), ("Request", "request"),
                 ("Handover", "handover"), ("Renovation", "renovation"))
_STREAM_KINDS = {"archive": "unit", "billing": "billing"}


def timeline_kind(type_name: str, stream: str) -> str:
    prefix = next((kind for p, kind in _PREFIX_KINDS if type_name.startswith(p)), None)
    return prefix or _STREAM_KINDS.get(stream, stream)


TIMELINE_KINDS: dict[str, tuple[str, ...]] = {}
for _cls, _stream in STREAM_OF.items():
    _kind = timeline_kind(_cls.__name__, _stream)
    TIMELINE_KINDS[_kind] = (*TIMELINE_KINDS.get(_kind, ()), _cls.__name__)


def types_of_kinds(kinds: list[str]) -> list[str]:
    unknown = [k for k in kinds if k not in TIMELINE_KINDS]
    if unknown:
        raise InvalidFact("kind", f"kind {unknown[0]!r} is not one of {', '.join(TIMELINE_KINDS)}")
    return [t for k in kinds for t in TIMELINE_KINDS[k]]


def day_bounds(day: dt.date, timezone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """One calendar day in the plaza's own time zone, as a UTC [since, until) window."""
    start = dt.datetime.combine(day, dt.time(), timezone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


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
            if occurred_at.tzinfo is not None:
                occurred_at = occurred_at.astimezone(dt.timezone.utc)
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
            raise InvalidFact("cursor", f"cursor {text!r} is not one this API handed out") from exc
        if occurred_at.tzinfo is None or not event_id:
            raise InvalidFact("cursor", f"cursor {text!r} is not one this API handed out")
        return cls(occurred_at, event_id)


# What makes two events the same fact on a timeline, whatever their event ids: the keys the
# producers themselves keep a fact once by (one work order per request, one close per round
# of a job, one charge per line, one visit per close, …). A fact sent again under a new id
# is filed once. A type not listed is a new fact with each event (a reassignment, an
# escalation, a low balance): its event id is its only key.
FACT_KEYS: dict[type, tuple[str, ...]] = {
    RequestReceived: ("request_id",),
    HandoverInspected: ("inspection_id",),
    RenovationApproved: ("permit_id",),
    RenovationClosed: ("permit_id",),
    WorkOrderCreated: ("work_order_id",),
    # started, resolved and closed once in each round of a job (reopen_count), reopened once into it
    WorkOrderStarted: ("work_order_id", "reopen_count"),
    WorkOrderResolved: ("work_order_id", "reopen_count"),
    WorkOrderClosed: ("work_order_id", "reopen_count"),
    WorkOrderReopened: ("work_order_id", "reopen_count"),
    WorkOrderCancelled: ("work_order_id",),
    VisitScheduled: ("visit_id",),
    VisitCompleted: ("visit_id",),
    VisitSkipped: ("visit_id",),
    ChargePosted: ("line_id",),
    PaymentReceived: ("entry_id",),
    RefundIssued: ("entry_id",),
    EntryCorrected: ("reverses_entry_id",),  # an entry is corrected once
    DepositHeld: ("permit_id",),
    DepositRefunded: ("permit_id",),
    InvoiceIssued: ("invoice_id",),
    DunningReminderIssued: ("entry_id", "stage"),
    ArrearsEscalated: ("entry_id",),
    UnitRegistered: ("unit", "revision"),
    DocumentAttached: ("document_id",),
    NoticeDelivered: ("notice_id", "unit"),
    NoticeRead: ("notice_id", "unit"),
}


FACT_KEY_LENGTH = 200  # the timeline's column


def fact_key(event: Event) -> str | None:
    """The event's fact on its plaza's timelines (None: the event id is its only key). A
    key longer than the column (ids are not bounded by the contract) is kept as a digest."""
    fields = FACT_KEYS.get(type(event))
    if fields is None:
        return None
    key = "/".join([type(event).__name__, *(str(getattr(event, f)) for f in fields)])
    if len(key) <= FACT_KEY_LENGTH:
        return key
    return f"{type(event).__name__}/sha256:{hashlib.sha256(key.encode()).hexdigest()}"
