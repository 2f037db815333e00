"""Intake use cases: each one function, one transaction, its events to the outbox.
(Move-in season's use cases are in services_movein.py.)"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import Contact, PlazaRegistered, RequestReceived, UnitRegistered
from libs.runtime import idempotency
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.outbox import Tx
from services.intake import domain, store

R = TypeVar("R")
CLASSIFICATION = "classification-rules"
REFERRALS = "referrals"
RULES_TTL_S = 5.0  # how long another replica may answer with rules a PUT has replaced
KNOWN_UNITS_MAX = 200_000


class RequestCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    channel: Literal["phone", "visit", "letter", "online", "internal"]
    unit: str
    text: str
    kind: domain.Kind | None = None
    severity: domain.Severity | None = None
    contact: Contact | None = None
    received_by: str | None = None
    source_department: str | None = None  # channel internal: the department that reported it


class RequestAccepted(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    kind: domain.Kind
    serviceable: bool
    referral: str | None = None
    kind_reason: str = ""
    major: bool = False
    severity: domain.Severity | None = None
    praised_department: str | None = None
    status: str = "received"


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Where a plaza's rule document came from ("default" until the plaza sets one)."""

    source: Literal["default", "plaza"]
    updated_by: str | None = None
    updated_at: str | None = None


def refused(exc: domain.Refused) -> InvalidInput:
    return InvalidInput(exc.detail, field=exc.field)


async def once(
    tx: Tx, plaza_id: str, scope: str, key: str | None, body: msgspec.Struct,
    result: type[R], run: Callable[[], Awaitable[R]], status: int = 201,
) -> R:
    """Stripe-style Idempotency-Key around one use case: a replay returns the first answer."""
    return await idempotency.once(
        tx.conn, store.idempotency_keys, plaza_id, scope, key, body, result, run, status=status
    )


async def require_unit(tx: Tx, plaza_id: str, unit: str) -> None:
    """Unit first: a known unit implies a known plaza. Units are never removed from the
    register, so a unit once seen is remembered and the common case asks nothing."""
    known = _known_units.setdefault(tx.conn.engine, set())
    if (plaza_id, unit) in known:
        return
    if await store.unit_exists(tx.conn, plaza_id, unit):
        if len(known) >= KNOWN_UNITS_MAX:
            known.clear()
        known.add((plaza_id, unit))
        return
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    raise InvalidInput(f"unit {unit!r} is not registered in plaza {plaza_id!r}", field="unit")


async def receive_request(
    tx: Tx, plaza_id: str, body: RequestCreate, *, actor: str, idempotency_key: str | None
) -> RequestAccepted:
    async def run() -> RequestAccepted:
        return await _receive(tx, plaza_id, body, actor)

    return await once(tx, plaza_id, "requests", idempotency_key, body, RequestAccepted, run, status=202)


async def _receive(tx: Tx, plaza_id: str, body: RequestCreate, actor: str) -> RequestAccepted:
    await require_unit(tx, plaza_id, body.unit)
    rules, directory = await plaza_rules(tx.conn, plaza_id)
    try:
        found = domain.assess(body.text, rules, directory, kind=body.kind, severity=body.severity)
    except domain.Refused as exc:
        raise refused(exc) from exc
    request_id, now, received_by = new_event_id(), utcnow(), body.received_by or actor
    accepted = _accepted(request_id, found)
    await store.add_request(tx.conn, _request_row(plaza_id, body, found, accepted, received_by, now))
    await tx.emit(
        RequestReceived(
            plaza_id=plaza_id, occurred_at=now, correlation_id=request_id, actor=actor,
            request_id=request_id, unit=body.unit, channel=body.channel, kind=found.kind,
            text=body.text, contact=body.contact, serviceable=accepted.serviceable,
            referral=accepted.referral, major=found.major, received_by=received_by,
            severity=found.severity, praised_department=found.praised_department,
            kind_reason=found.kind_reason,
        )
    )
    return accepted


def _accepted(request_id: str, found: domain.Assessment) -> RequestAccepted:
    return RequestAccepted(
        id=request_id, kind=found.kind, serviceable=found.referral is None,
        referral=found.referral.answer() if found.referral else None,
        kind_reason=found.kind_reason, major=found.major, severity=found.severity,
        praised_department=found.praised_department,
        status="referred" if found.referral else "received",
    )


def _request_row(plaza_id, body: RequestCreate, found: domain.Assessment, accepted: RequestAccepted, received_by, now) -> dict:
    return {
        "id": accepted.id, "plaza_id": plaza_id, "unit": body.unit, "channel": body.channel,
        "kind": found.kind, "kind_reason": found.kind_reason, "severity": found.severity,
        "severity_reason": found.severity_reason, "praised_department": found.praised_department,
        "source_department": body.source_department, "text": body.text,
        "contact_name": body.contact.name if body.contact else None,
        "contact_phone": body.contact.phone if body.contact else None,
        "serviceable": accepted.serviceable, "referral": accepted.referral, "major": found.major,
        "status": accepted.status, "received_by": received_by, "received_at": now,
    }


# Per-plaza rules are read on every request; a small cache per database keeps that off
# the hot path. A PUT clears it at once here; other replicas see it within RULES_TTL_S.
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_known_units: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def plaza_rules(conn, plaza_id: str) -> tuple[domain.ClassificationRules, domain.ReferralDirectory]:
    plazas = _cache.setdefault(conn.engine, {})
    hit = plazas.get(plaza_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    docs = await store.get_rules(conn, plaza_id)
    rules = _decode(docs, CLASSIFICATION, domain.ClassificationRules, domain.DEFAULT_RULES)
    directory = _decode(docs, REFERRALS, domain.ReferralDirectory, domain.DEFAULT_REFERRALS)
    plazas[plaza_id] = (time.monotonic() + RULES_TTL_S, (rules, directory))
    return rules, directory


def forget_rules(conn, plaza_id: str) -> None:
    _cache.get(conn.engine, {}).pop(plaza_id, None)


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


async def set_rules(tx: Tx, plaza_id: str, name: str, document: msgspec.Struct, *, actor: str) -> None:
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    check = _CHECKS.get(name)
    try:
        if check:
            check(document)
    except domain.Refused as exc:
        raise refused(exc) from exc
    await store.put_rules(tx.conn, plaza_id, name, msgspec.json.encode(document), actor, utcnow())
    forget_rules(tx.conn, plaza_id)


_CHECKS = {CLASSIFICATION: domain.check_rules, REFERRALS: domain.check_directory}


async def record_plaza(tx: Tx, event: PlazaRegistered) -> None:
    await store.upsert_plaza(tx.conn, event.plaza_id, event.name)


async def record_units(tx: Tx, events: list[UnitRegistered]) -> None:
    """Archive's unit facts, a batch at a time; an older revision never replaces a newer."""
    await store.upsert_units(tx.conn, [
        {
            "plaza_id": e.plaza_id,
            "unit": e.unit,
            "revision": e.revision,
            "occupant_name": e.occupant.name,
            "occupant_phone": e.occupant.phone,
            "key_account": e.key_account,
        }
        for e in events
    ])

