"""Ledger use cases: payments, the charges of closed work orders, refunds out of a credit,
corrections (reversing entries with a reason and an approver), and reading accounts.
Each one function, one transaction, its events to the outbox."""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import ChargePosted, EntryCorrected, PaymentReceived, RefundIssued, WorkOrderClosed
from libs.runtime import idempotency, limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.ledger import domain, store
from services.billing.tables import idempotency_keys

# The Idempotency-Key header of every route that takes money. Optional to the parser, so
# that its absence is answered by the use case with 428 naming the header rather than a
# generic 400.
MONEY_KEY = ("Required: one unique value per payment, sent again unchanged on a retry, which then "
             "answers the first result instead of taking the money twice (428 without it).")

Text = limits.text(500)
Name = limits.line(80, min_length=1)


class PaymentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # amount_fen is checked by the domain (a 422 naming it), not by the type, so the
    # rule lives in one place; the type only bounds it.
    amount_fen: limits.Amount
    method: Literal["cash", "card", "transfer", "wechat", "alipay"]
    reference: limits.line(255) | None = None


class PaymentAccepted(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    amount_fen: int
    method: str
    reference: str | None
    owed_fen: int
    currency: str = domain.CURRENCY


class Account(msgspec.Struct, kw_only=True):
    unit: str
    known: bool
    entries: list
    owed_fen: int
    deposit_held_fen: int = 0
    prepaid_fen: dict = {}
    open_items: list = []


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


async def receive_payment(
    tx: Tx, plaza_id: str, unit: str, body: PaymentCreate, *, actor: str, idempotency_key: str | None
) -> PaymentAccepted:
    async def run() -> PaymentAccepted:
        return await _receive_payment(tx, plaza_id, unit, body, actor, idempotency_key)

    # Money moves only with a key: a payment retried after a lost answer is never taken twice.
    return await idempotency.once(
        tx.conn, idempotency_keys, plaza_id, f"payments:{unit}", idempotency_key, body, PaymentAccepted, run,
        required=True,
    )


async def _receive_payment(
    tx: Tx, plaza_id: str, unit: str, body: PaymentCreate, actor: str, idempotency_key: str | None
) -> PaymentAccepted:
    try:
        posting = domain.payment(body.amount_fen, body.method, body.reference)
    except domain.Refused as exc:
        raise refused(exc) from None
    await require_account(tx.conn, plaza_id, unit)

    entry_id = new_event_id()
    now = utcnow()
    await store.add_entry(
        tx.conn, store.entry_row(plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now,
                                 causation_id=None, actor=actor, source=_request_source(idempotency_key, entry_id))
    )
    owed = domain.owed_fen(await store.entries_of(tx.conn, plaza_id, unit))
    accepted = PaymentAccepted(
        id=entry_id, unit=unit, amount_fen=posting.amount_fen, method=body.method,
        reference=body.reference, owed_fen=owed,
    )
    await tx.emit(
        PaymentReceived(
            plaza_id=plaza_id, occurred_at=now, correlation_id=entry_id, actor=actor, unit=unit,
            entry_id=entry_id, amount_fen=posting.amount_fen, method=body.method, reference=body.reference,
        )
    )
    return accepted


def _request_source(idempotency_key: str | None, entry_id: str) -> str:
    return f"request:{idempotency_key}" if idempotency_key else f"request:{entry_id}"


async def require_account(conn, plaza_id: str, unit: str) -> bool:
    """A unit has an account if archive told us of it or money has moved on it already."""
    known = await facts.get_unit(conn, plaza_id, unit) is not None
    if not known and not await store.has_entries(conn, plaza_id, unit):
        raise NotFound(f"unit {unit!r} has no account in plaza {plaza_id!r}", field="unit")
    return known


async def post_charges(tx: Tx, event: WorkOrderClosed) -> list[ChargePosted]:
    return await post_charges_many(tx, [event])


async def post_charges_many(tx: Tx, events: list[WorkOrderClosed]) -> list[ChargePosted]:
    """Post each paid line once per (plaza, line id); only newly posted lines are announced.

    One insert for the whole batch: the domain keeps the first closing of the batch that
    carries a line, and the ledger's unique key drops what earlier batches posted already.
    The unit need not be known yet: archive's event may still be on its way, and a charge
    is never dropped for arriving first.
    """
    zones = await facts.plaza_zones(tx.conn, {e.plaza_id for e in events if e.paid})
    try:
        charges = domain.charges_of_closings(events, zones)
    except domain.Refused as exc:
        raise refused(exc) from None
    if not charges:
        return []
    now = utcnow()
    rows = [
        store.entry_row(
            event.plaza_id, event.unit, new_event_id(), posting,
            occurred_at=event.occurred_at, recorded_at=now, causation_id=event.id, actor=event.actor,
        )
        for event, posting in charges
    ]
    new = await store.post_entries_once(tx.conn, rows)
    posted = [
        _charge_posted(event, row["id"], posting)
        for (event, posting), row in zip(charges, rows)
        if (event.plaza_id, posting.line_id) in new
    ]
    await tx.emit(*posted)
    return posted


def _charge_posted(event: WorkOrderClosed, entry_id: str, posting: domain.Posting) -> ChargePosted:
    return ChargePosted(
        plaza_id=event.plaza_id, correlation_id=event.correlation_id, causation_id=event.id,
        actor="billing", unit=event.unit, entry_id=entry_id, work_order_id=event.work_order_id,
        line_id=posting.line_id or "", description=posting.description, amount_fen=posting.amount_fen,
    )


async def load_account(conn, plaza_id: str, unit: str) -> Account:
    known = await require_account(conn, plaza_id, unit)
    entries = await store.entries_of(conn, plaza_id, unit)
    totals = domain.balances(entries)
    return Account(
        unit=unit, known=known, entries=list(entries), owed_fen=totals.owed_fen,
        deposit_held_fen=totals.deposit_held_fen, prepaid_fen=totals.prepaid_fen,
        open_items=domain.open_items(entries, await facts.plaza_zone(conn, plaza_id)),
    )


async def list_accounts(conn, plaza_id: str, *, in_arrears: bool = False) -> list[tuple[str, int, object | None]]:
    """Every unit with an account (only those owing, ``in_arrears``), arrears first:
    (unit, owed_fen, archive's unit row)."""
    known = {row.unit: row for row in await facts.units_of(conn, plaza_id)}
    sums: dict[str, list] = {unit: [] for unit in known}
    for total in await store.totals_by_unit(conn, plaza_id):
        sums.setdefault(total.unit, []).append(total)
    accounts = [(unit, domain.owed_fen(totals), known.get(unit)) for unit, totals in sums.items()]
    if in_arrears:
        accounts = [a for a in accounts if a[1] > 0]
    return sorted(accounts, key=lambda a: (-a[1], a[0]))


async def issue_refund(
    tx: Tx, plaza_id: str, unit: str, body: RefundCreate, *, actor: str, idempotency_key: str | None
) -> RefundAccepted:
    """Money handed back out of a credit; a refund pays out, so it always carries a key."""

    async def run() -> RefundAccepted:
        return await _issue_refund(tx, plaza_id, unit, body, actor, idempotency_key)

    return await idempotency.once(
        tx.conn, idempotency_keys, plaza_id, f"refunds:{unit}", idempotency_key, body, RefundAccepted, run,
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
