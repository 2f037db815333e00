"""Request use cases: logging a call, walk-in, letter or online message, classified by the plaza's
rules; the rules. One function, one transaction each, events to the outbox or (the fast way in) the broker."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import tracing
from libs.contracts.events import RequestReceived
from libs.runtime import idempotency, limits
from libs.runtime import logging as log
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.intake import facts, tables
from services.intake.areas import services as areas
from services.intake.facts import known_units
from services.intake.requests import domain, store

R = TypeVar("R")
logger = log.get("intake")
CLASSIFICATION = "classification-rules"
REFERRALS = "referrals"
RULES_TTL_S = 5.0  # how long another replica may answer with rules a PUT has replaced


class RequestCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    channel: Literal["phone", "visit", "letter", "online", "internal"]
    text: limits.Text
    unit: limits.Code | None = None  # none: a public area, or a caller who is not an occupant
    area: limits.Code | None = None  # one of the plaza's public areas, instead of a unit
    kind: domain.Kind | None = None
    severity: domain.Severity | None = None
    contact: domain.ContactIn | None = None
    received_by: limits.Name | None = None
    source_department: limits.Name | None = None  # channel internal: the department that reported it
    department: limits.Code | None = None  # the clerk's choice: dispatch routes there
    serviceable: bool | None = None  # the clerk's word over the referral directory's
    reason: limits.Note | None = None  # why the clerk overruled a referral
    split: bool = True  # a mixed message becomes the job and a praise record
    catalogue_item: domain.CatalogueItemIn | None = None  # a paid service from the plaza's catalogue
    call: domain.CallIn | None = None  # channel phone: when it rang and was answered, the etiquette


class Also(msgspec.Struct, kw_only=True):
    id: str
    kind: domain.Kind


class RequestAccepted(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    kind: domain.Kind
    serviceable: bool
    referral: str | None = None
    kind_reason: str = ""
    major: bool = False
    severity: domain.Severity | None = None
    praised_department: str | None = None
    department: str | None = None
    area: str | None = None
    status: str = "received"
    also: list[Also] = []


class Taken(msgspec.Struct, kw_only=True):
    """A request as assessed: the answer, its events (two for a mixed message) and rows."""

    accepted: RequestAccepted
    events: list[RequestReceived]
    rows: list[dict]

    @property
    def event_alone(self) -> bool:
        """Whether the read model can take the row from the stream (the fast way)."""
        return len(self.events) == 1 and self.rows[0] == request_row(self.events[0])


class RequestPreview(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the clerk has typed so far (and the kind, if they chose one)."""

    text: limits.Text
    kind: domain.Kind | None = None
    unit: limits.Code | None = None


class PreviewAnswer(msgspec.Struct, kw_only=True):
    """What logging the text now would decide, with the reasons."""

    kind: domain.Kind
    kind_reason: str
    severity: domain.Severity | None
    severity_reason: str | None
    major: bool
    department: str | None
    priority: str
    serviceable: bool
    referral: str | None
    also: tuple[str, ...]


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Where a plaza's rule document came from ("default" until the plaza sets one)."""

    source: Literal["default", "plaza"]
    updated_by: str | None = None
    updated_at: str | None = None


def as_occupant(body: RequestCreate, own: str) -> RequestCreate:
    """What an occupant logs themselves: an online request about their own unit; the desk's
    fields (who took it, department, severity, referral, the call) are not the caller's."""
    return msgspec.structs.replace(
        body, channel="online", received_by=None, source_department=None, severity=None,
        unit=body.unit or own, area=None, department=None, serviceable=None, reason=None, call=None,
    )


def refused(exc: domain.Refused) -> InvalidInput:
    return InvalidInput(exc.detail, field=exc.field)


async def once(
    tx: Tx, plaza_id: str, scope: str, key: str | None, body: msgspec.Struct,
    result: type[R], run: Callable[[], Awaitable[R]], status: int = 201,
) -> R:
    """Stripe-style Idempotency-Key around one use case: a replay returns the first answer."""
    return await idempotency.once(
        tx.conn, tables.idempotency_keys, plaza_id, scope, key, body, result, run, status=status
    )


async def receive_request(
    tx: Tx, plaza_id: str, body: RequestCreate, *, actor: str, idempotency_key: str | None
) -> RequestAccepted:
    """The transactional way in: the request row and its event in one transaction (the
    relay publishes the event). Taken with an Idempotency-Key, whose first answer must be
    stored to be replayed, and whenever the broker cannot take an event at once."""

    async def run() -> RequestAccepted:
        taken = await assess_request(tx.conn, plaza_id, body, actor)
        await store_taken(tx, taken)
        return taken.accepted

    return await once(tx, plaza_id, "requests", idempotency_key, body, RequestAccepted, run, status=202)


async def receive_request_published(runtime, plaza_id: str, body: RequestCreate, *, actor: str) -> RequestAccepted:
    """The fast way in, without an Idempotency-Key: check and classify, publish the event to
    intake's stream and answer once JetStream has it on disk; intake's read model takes its
    row from the stream. If the broker cannot take it now, the transactional way stores it
    and the relay publishes it later (same event id: JetStream or the consumers' inboxes
    drop the copy if the first publish did land). A mixed message (two records) or an
    overruled referral (more than the event says) takes the transactional way."""
    known = known_inputs(runtime.db.key, plaza_id, body.unit)
    if known is None:
        async with runtime.read() as conn:
            taken = await assess_request(conn, plaza_id, body, actor)
    else:  # the common case: unit and rules are in this replica's caches, no connection needed
        taken = assess_with(known, plaza_id, body, actor)
    if not taken.event_alone:
        await runtime.grouped(store_taken, taken)
        return taken.accepted
    accepted, [event] = taken.accepted, taken.events
    remember_published(event)  # before: the read model may take it before publish returns
    try:
        await runtime.publish(event)
    except Exception as exc:
        published_not_stored.pop(event.request_id, None)
        logger.warning("request_stored_for_the_relay", request_id=event.request_id, error=repr(exc))
        await runtime.grouped(store_request, event)
    return accepted


async def store_request(tx: Tx, event: RequestReceived) -> None:
    await store.add_request(tx.conn, request_row(event))
    await tx.emit(event)


async def store_taken(tx: Tx, taken: Taken) -> None:
    """Every record of one message and its events, in one transaction."""
    for row in taken.rows:
        await store.add_request(tx.conn, row)
    await tx.emit(*taken.events)


async def assess_request(conn, plaza_id: str, body: RequestCreate, actor: str) -> Taken:
    """Checks and classifies a request (reads only): the answer and the events that record it."""
    if body.unit:
        await facts.require_unit(conn, plaza_id, body.unit)
    else:
        await facts.require_plaza(conn, plaza_id)
    areas_known = await areas.area_ids(conn, plaza_id) if body.area is not None and not body.unit else frozenset()
    return assess_with(await plaza_rules(conn, plaza_id), plaza_id, body, actor, areas_known)


def assess_with(
    known: tuple[domain.ClassificationRules, domain.ReferralDirectory], plaza_id: str, body: RequestCreate, actor: str,
    areas_known: frozenset[str] = frozenset(),
) -> Taken:
    """Checks and classifies a request against the plaza's rules (no I/O)."""
    rules, directory = known
    try:
        unit, area = domain.whereabouts(body.unit, body.area, body.contact, areas_known)
        found = domain.assess(body.text, rules, directory, kind=body.kind, severity=body.severity)
        chosen = domain.decide(found, department=body.department, serviceable=body.serviceable)
        call = domain.call_record(body.call, body.channel, utcnow())
    except domain.Refused as exc:
        raise refused(exc) from exc
    ids = [tracing.case_id() or new_event_id()]  # with traces on, the case's trace id (tracing.py)
    if domain.splits(found, body.split):
        ids.append(new_event_id())
    common = dict(
        plaza_id=plaza_id, occurred_at=utcnow(), actor=actor, unit=unit, area=area, channel=body.channel,
        text=body.text, contact=body.contact, received_by=body.received_by or actor,
        source_department=body.source_department, call=call,
    )
    job = _event(ids[0], found, chosen, common, mixed_with=ids[1] if len(ids) > 1 else None)
    if body.catalogue_item is not None:  # the job orders it, never the praise half
        job = msgspec.structs.replace(job, catalogue_item=body.catalogue_item)
    events = [job]
    accepted = _accepted(job)
    if len(ids) > 1:
        thanks = domain.praise_half(body.text, rules)
        events.append(_event(ids[1], thanks, domain.decide(thanks), common, mixed_with=ids[0]))
        accepted.also = [Also(id=ids[1], kind="praise")]
    rows = [request_row(e) for e in events]
    if chosen.overruled is not None:
        rows[0].update(overruled_referral=chosen.overruled.answer(), overrule_reason=body.reason)
    return Taken(accepted=accepted, events=events, rows=rows)


def _event(request_id: str, found: domain.Assessment, chosen: domain.Decision, common: dict, *,
           mixed_with: str | None) -> RequestReceived:
    return RequestReceived(
        **common, correlation_id=request_id, request_id=request_id, kind=found.kind,
        serviceable=chosen.serviceable, referral=chosen.referral.answer() if chosen.referral else None,
        major=found.major, severity=found.severity, praised_department=found.praised_department,
        kind_reason=found.kind_reason, severity_reason=found.severity_reason,
        department=chosen.department, department_chosen=chosen.department_chosen, mixed_with=mixed_with,
    )


async def preview_request(runtime, plaza_id: str, body: RequestPreview) -> PreviewAnswer:
    """What ``receive_request`` would decide about this text, with no side effect: the
    console asks while the clerk types. Reads nothing when this replica holds the plaza's
    rules (and knows the unit), as it does while requests come in."""
    key = runtime.db.key
    known = _rules.get(key, plaza_id)
    if known is None or (body.unit and (plaza_id, body.unit) not in known_units.get(key, ())):
        async with runtime.read() as conn:
            await (facts.require_unit(conn, plaza_id, body.unit) if body.unit else facts.require_plaza(conn, plaza_id))
            known = await plaza_rules(conn, plaza_id)
    try:
        found = domain.assess(body.text, *known, kind=body.kind)
    except domain.Refused as exc:
        raise refused(exc) from exc
    return PreviewAnswer(
        kind=found.kind, kind_reason=found.kind_reason, severity=found.severity,
        severity_reason=found.severity_reason, major=found.major, department=found.department,
        priority=found.priority, serviceable=found.referral is None,
        referral=found.referral.answer() if found.referral else None, also=found.also,
    )


async def record_requests(tx: Tx, events: list[RequestReceived]) -> None:
    """Intake's read model fed from its own stream: requests published straight to the
    broker get their row here; those stored with their event already have one."""
    await store.add_requests_if_absent(tx.conn, [request_row(e) for e in events])


# Requests this replica published whose row the read model may not have yet: shown by id
# meanwhile, so a clerk who opens a request the moment it is accepted finds it. Kept for
# UNSTORED_KEEP_S (the read model takes a row within milliseconds while the bus is up).
published_not_stored: dict[str, dict] = {}
UNSTORED_KEEP_S = 60.0


def remember_published(event: RequestReceived) -> None:
    now = time.monotonic()
    while published_not_stored:
        oldest = next(iter(published_not_stored.values()))
        if now - oldest["_remembered_at"] < UNSTORED_KEEP_S:
            break
        published_not_stored.pop(next(iter(published_not_stored)))
    published_not_stored[event.request_id] = {**request_row(event), "_remembered_at": now}


def _accepted(e: RequestReceived) -> RequestAccepted:
    return RequestAccepted(
        id=e.request_id, kind=e.kind, serviceable=e.serviceable, referral=e.referral,
        kind_reason=e.kind_reason or "", major=e.major, severity=e.severity,
        praised_department=e.praised_department, department=e.department, area=e.area,
        status=status_of(e.serviceable),
    )


def status_of(serviceable: bool) -> str:
    return "received" if serviceable else "referred"


def request_row(e: RequestReceived) -> dict:
    return {
        "id": e.request_id, "plaza_id": e.plaza_id, "unit": e.unit, "channel": e.channel,
        "kind": e.kind, "kind_reason": e.kind_reason or "", "severity": e.severity,
        "severity_reason": e.severity_reason, "praised_department": e.praised_department,
        "source_department": e.source_department, "text": e.text,
        "contact_name": e.contact.name if e.contact else None,
        "contact_phone": e.contact.phone if e.contact else None,
        "serviceable": e.serviceable, "referral": e.referral, "major": e.major,
        "status": status_of(e.serviceable), "received_by": e.received_by,
        "received_at": e.occurred_at, "department": e.department,
        "department_chosen": e.department_chosen, "area": e.area, "mixed_with": e.mixed_with,
        "overruled_referral": None, "overrule_reason": None,
        "call_rang_at": e.call.rang_at if e.call else None,
        "call_answered_at": e.call.answered_at if e.call else None,
        "call_greeting": e.call.greeting if e.call else None,
        "call_read_back": e.call.read_back if e.call else None,
    }


async def request_for_update(conn, plaza_id: str, request_id: str):
    """The request's row, locked for a change. One this replica published a moment ago may
    not be on the read model yet: its row is put there first (the stream's copy is then
    skipped as already present)."""
    row = await store.get_request(conn, plaza_id, request_id, lock=True)
    pending = published_not_stored.get(request_id)
    if row is None and pending is not None and pending["plaza_id"] == plaza_id:
        await store.add_requests_if_absent(conn, [{k: v for k, v in pending.items() if k != "_remembered_at"}])
        row = await store.get_request(conn, plaza_id, request_id, lock=True)
    if row is None:
        raise NotFound(f"request {request_id!r} not found in plaza {plaza_id!r}", field="request_id")
    return row


# Per-plaza rules are read on every request: kept a few seconds (PlazaCache). A PUT forgets
# them at once here; other replicas see it within RULES_TTL_S.
_rules: PlazaCache[tuple[domain.ClassificationRules, domain.ReferralDirectory]] = PlazaCache(RULES_TTL_S)


async def plaza_rules(conn, plaza_id: str) -> tuple[domain.ClassificationRules, domain.ReferralDirectory]:
    key = database_key(conn)
    hit = _rules.get(key, plaza_id)
    if hit is not None:
        return hit
    docs = await store.get_rules(conn, plaza_id)
    rules = _decode(docs, CLASSIFICATION, domain.ClassificationRules, domain.DEFAULT_RULES)
    directory = _decode(docs, REFERRALS, domain.ReferralDirectory, domain.DEFAULT_REFERRALS)
    _rules.put(key, plaza_id, (rules, directory))
    return rules, directory


def known_inputs(key: tuple, plaza_id: str, unit: str | None) -> tuple[domain.ClassificationRules, domain.ReferralDirectory] | None:
    """The plaza's rules if this replica knows the unit and holds fresh rules, else None
    (always None without a unit: the plaza, its public areas are read)."""
    if not unit or (plaza_id, unit) not in known_units.get(key, ()):
        return None
    return _rules.get(key, plaza_id)


def forget_rules(conn, plaza_id: str) -> None:
    _rules.forget(database_key(conn), [plaza_id])


def _decode(docs: dict, name: str, type_, default):
    row = docs.get(name)
    return msgspec.json.decode(row["document"], type=type_) if row else default


async def rules_document(conn, plaza_id: str, name: str, type_: type[R], default: R) -> tuple[R, Provenance]:
    """The plaza's document, or the defaults, and who set it when."""
    row = (await store.get_rules(conn, plaza_id)).get(name)
    if row is None:
        return default, Provenance(source="default")
    document = msgspec.json.decode(row["document"], type=type_)
    return document, Provenance(source="plaza", updated_by=row["updated_by"], updated_at=iso(row["updated_at"]))


async def set_rules(tx: Tx, plaza_id: str, name: str, document: msgspec.Struct, *, actor: str) -> Provenance:
    """Replaces the plaza's document; returns who set it when, as a read would show it."""
    await facts.require_plaza(tx.conn, plaza_id)
    check = _CHECKS.get(name)
    try:
        if check:
            check(document)
    except domain.Refused as exc:
        raise refused(exc) from exc
    at = utcnow()
    await store.put_rules(tx.conn, plaza_id, name, msgspec.json.encode(document), actor, at)
    forget_rules(tx.conn, plaza_id)
    return Provenance(source="plaza", updated_by=actor, updated_at=iso(at))


_CHECKS = {CLASSIFICATION: domain.check_rules, REFERRALS: domain.check_directory}
