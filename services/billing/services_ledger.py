"""Ledger use cases beyond charges and payments: refunds out of a credit, and corrections
(reversing entries with a reason and an approver). Shared Idempotency-Key plumbing."""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import EntryCorrected, RefundIssued
from libs.runtime import idempotency, limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.billing import domain, store

Text = limits.text(500)
Name = limits.line(80, min_length=1)


class RefundCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount_fen: limits.Amount
    method: Literal["cash", "card", "transfer", "wechat", "alipay"]
    reason: Text | None = None
    reference: limits.line(255) | None = None


class RefundAccepted(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    amount_fen: int
    method: str
    owed_fen: int
    credit_fen: int
    currency: str = domain.CURRENCY


class CorrectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entry_id: limits.line(40, min_length=1)
    reason: Text
    approver: Name


class CorrectionAccepted(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    kind: str
    amount_fen: int
    reverses_entry_id: str
    reason: str
    approver: str
    owed_fen: int
    currency: str = domain.CURRENCY


def refused(exc: domain.Refused) -> InvalidInput:
    return InvalidInput(exc.detail, field=exc.field)


async def require_account(conn, plaza_id: str, unit: str) -> None:
    if await store.get_unit(conn, plaza_id, unit) is None and not await store.has_entries(conn, plaza_id, unit):
        raise NotFound(f"unit {unit!r} has no account in plaza {plaza_id!r}", field="unit")


async def issue_refund(
    tx: Tx, plaza_id: str, unit: str, body: RefundCreate, *, actor: str, idempotency_key: str | None
) -> RefundAccepted:
    """Money handed back out of a credit; a refund pays out, so it always carries a key."""

    async def run() -> RefundAccepted:
        return await _issue_refund(tx, plaza_id, unit, body, actor, idempotency_key)

    return await idempotency.once(
        tx.conn, store.idempotency_keys, plaza_id, f"refunds:{unit}", idempotency_key, body, RefundAccepted, run,
        required=True,
    )


async def _issue_refund(tx: Tx, plaza_id: str, unit: str, body: RefundCreate, actor: str, idempotency_key: str) -> RefundAccepted:
    await require_account(tx.conn, plaza_id, unit)
    await store.lock_account(tx.conn, plaza_id, unit)
    entries = await store.entries_of(tx.conn, plaza_id, unit)
    try:
        posting = domain.refund(body.amount_fen, body.method, body.reason, domain.credit_fen(entries))
    except domain.Refused as exc:
        raise refused(exc) from None
    posting = msgspec.structs.replace(posting, reference=body.reference)
    entry_id, now = new_event_id(), utcnow()
    await store.add_entry(tx.conn, store.entry_row(
        plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=actor, source=f"request:{idempotency_key}",
    ))
    await tx.emit(RefundIssued(
        plaza_id=plaza_id, occurred_at=now, correlation_id=entry_id, actor=actor, unit=unit, entry_id=entry_id,
        amount_fen=posting.amount_fen, method=body.method, reason=body.reason, reference=body.reference,
    ))
    owed = domain.owed_fen([*entries, posting])
    return RefundAccepted(id=entry_id, unit=unit, amount_fen=posting.amount_fen, method=body.method,
                          owed_fen=owed, credit_fen=max(0, -owed))


async def correct_entry(tx: Tx, plaza_id: str, unit: str, body: CorrectionCreate, *, actor: str) -> CorrectionAccepted:
    await store.lock_account(tx.conn, plaza_id, unit)
    original = await store.get_entry(tx.conn, plaza_id, unit, body.entry_id)
    if original is None:
        raise NotFound(f"entry {body.entry_id!r} is not on unit {unit!r}'s account", field="entry_id")
    try:
        posting = domain.correction(original, body.reason, body.approver)
    except domain.Refused as exc:
        raise refused(exc) from None
    if await store.is_reversed(tx.conn, plaza_id, body.entry_id):
        raise Conflict(f"entry {body.entry_id!r} has already been corrected", field="entry_id")
    entry_id, now = new_event_id(), utcnow()
    await store.add_entry(tx.conn, store.entry_row(
        plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=actor, source=f"request:{entry_id}",
    ))
    await tx.emit(EntryCorrected(
        plaza_id=plaza_id, occurred_at=now, correlation_id=entry_id, actor=actor, unit=unit, entry_id=entry_id,
        reverses_entry_id=body.entry_id, kind=posting.kind, amount_fen=posting.amount_fen, reason=body.reason,
        approver=body.approver,
    ))
    owed = domain.owed_fen(await store.entries_of(tx.conn, plaza_id, unit))
    return CorrectionAccepted(
        id=entry_id, unit=unit, kind=posting.kind, amount_fen=posting.amount_fen,
        reverses_entry_id=body.entry_id, reason=body.reason, approver=body.approver, owed_fen=owed,
    )
