"""Intake use cases: each one function, one transaction, its events to the outbox."""

from __future__ import annotations

import msgspec
from typing import Literal

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import Contact, PlazaRegistered, RequestReceived, UnitRegistered
from libs.runtime import idempotency
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.intake import domain, store


class RequestCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    channel: Literal["phone", "visit", "letter", "online", "internal"]
    unit: str
    text: str
    kind: domain.Kind | None = None
    contact: Contact | None = None
    received_by: str | None = None


class RequestAccepted(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    kind: domain.Kind
    serviceable: bool
    referral: str | None = None
    kind_reason: str = ""
    major: bool = False
    status: str = "received"


async def receive_request(
    tx: Tx, plaza_id: str, body: RequestCreate, *, actor: str, idempotency_key: str | None
) -> RequestAccepted:
    fingerprint_body = msgspec.json.encode(body)
    if idempotency_key:
        replay = await idempotency.find(
            tx.conn, store.idempotency_keys, plaza_id, "requests", idempotency_key, fingerprint_body
        )
        if replay is not None:
            return msgspec.json.decode(replay.body, type=RequestAccepted)
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    if not await store.unit_exists(tx.conn, plaza_id, body.unit):
        raise InvalidInput(f"unit {body.unit!r} is not registered in plaza {plaza_id!r}", field="unit")
    if not body.text.strip():
        raise InvalidInput("text must describe the request", field="text")

    classification = domain.classify(body.text, body.kind)
    referral = domain.referral_for(body.text) if classification.kind == "service" else None
    major = domain.is_major(classification.kind, body.text)
    request_id = new_event_id()
    now = utcnow()
    accepted = RequestAccepted(
        id=request_id,
        kind=classification.kind,
        serviceable=referral is None,
        referral=referral.answer() if referral else None,
        kind_reason=classification.reason,
        major=major,
        status="referred" if referral else "received",
    )
    await store.add_request(
        tx.conn,
        {
            "id": request_id,
            "plaza_id": plaza_id,
            "unit": body.unit,
            "channel": body.channel,
            "kind": accepted.kind,
            "kind_reason": accepted.kind_reason,
            "text": body.text,
            "contact_name": body.contact.name if body.contact else None,
            "contact_phone": body.contact.phone if body.contact else None,
            "serviceable": accepted.serviceable,
            "referral": accepted.referral,
            "major": major,
            "status": accepted.status,
            "received_by": body.received_by or actor,
            "received_at": now,
        },
    )
    await tx.emit(
        RequestReceived(
            plaza_id=plaza_id,
            occurred_at=now,
            correlation_id=request_id,
            actor=actor,
            request_id=request_id,
            unit=body.unit,
            channel=body.channel,
            kind=accepted.kind,
            text=body.text,
            contact=body.contact,
            serviceable=accepted.serviceable,
            referral=accepted.referral,
            major=major,
            received_by=body.received_by or actor,
        )
    )
    if idempotency_key:
        await idempotency.remember(
            tx.conn, store.idempotency_keys, plaza_id, "requests", idempotency_key,
            fingerprint_body, 202, msgspec.json.encode(accepted), now,
        )
    return accepted


async def record_plaza(tx: Tx, event: PlazaRegistered) -> None:
    await store.upsert_plaza(tx.conn, event.plaza_id, event.name)


async def record_unit(tx: Tx, event: UnitRegistered) -> None:
    await store.upsert_unit(
        tx.conn,
        event.plaza_id,
        event.unit,
        {
            "revision": event.revision,
            "occupant_name": event.occupant.name,
            "occupant_phone": event.occupant.phone,
            "key_account": event.key_account,
        },
    )
