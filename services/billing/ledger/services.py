"""Ledger use cases: payments, the charges of closed work orders, refunds out of a credit,
corrections (reversing entries with a reason), and reading accounts. Each one function,
one transaction, its events to the outbox.

Refunds and corrections take four eyes: one person asks (a pending request, nothing
posted, nothing announced), a second approves (posted and announced then) or rejects."""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import ChargePosted, EntryCorrected, PaymentReceived, RefundIssued, WorkOrderClosed
from libs.runtime import foureyes, idempotency, limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
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


class CorrectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entry_id: limits.line(40, min_length=1)
    reason: Text


class RequestView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A refund or correction as asked, and as decided: ``entry_id`` is the entry posted
    on approval; ``owed_fen`` and ``credit_fen`` the account after it."""

    id: str
    unit: str
    kind: str  # refund, correction
    status: domain.RequestStatus
    amount_fen: int
    requested_by: str
    requested_at: str
    method: str | None = None
    reference: str | None = None
    reason: str | None = None
    reverses_entry_id: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    entry_id: str | None = None
    owed_fen: int | None = None
    credit_fen: int | None = None
    currency: str = domain.CURRENCY


def request_view(row: dict, owed: int | None = None) -> RequestView:
    return RequestView(
        id=row["id"], unit=row["unit"], kind=row["kind"], status=row["status"], amount_fen=row["amount_fen"],
        requested_by=row["requested_by"], requested_at=iso(row["requested_at"]), method=row["method"],
        reference=row["reference"], reason=row["reason"], reverses_entry_id=row["reverses_entry_id"],
        decided_by=row["decided_by"], decided_at=iso(row["decided_at"]), entry_id=row["entry_id"],
        owed_fen=owed, credit_fen=None if owed is None else max(0, -owed),
    )


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


async def request_refund(
    tx: Tx, plaza_id: str, unit: str, body: RefundCreate, *, actor: str, idempotency_key: str | None
) -> RequestView:
    """Asks for money to be handed back out of the credit; a refund pays out, so the ask
    carries a key (a retried ask is one request)."""

    async def run() -> RequestView:
        return await _request_refund(tx, plaza_id, unit, body, actor)

    return await idempotency.once(
        tx.conn, idempotency_keys, plaza_id, f"refunds:{unit}", idempotency_key, body, RequestView, run,
        required=True,
    )


async def _request_refund(tx: Tx, plaza_id: str, unit: str, body: RefundCreate, actor: str) -> RequestView:
    await require_account(tx.conn, plaza_id, unit)
    credit = domain.credit_fen(await store.entries_of(tx.conn, plaza_id, unit))
    try:  # refused at once when the credit is short now; checked again on approval
        domain.refund(body.amount_fen, body.method, body.reason, credit)
    except domain.Refused as exc:
        raise refused(exc) from None
    row = _request_row(plaza_id, unit, "refund", actor, amount_fen=body.amount_fen, method=body.method,
                       reference=body.reference, reason=body.reason)
    await store.add_request(tx.conn, row)
    return request_view(row)


async def request_correction(tx: Tx, plaza_id: str, unit: str, body: CorrectionCreate, *, actor: str) -> RequestView:
    original = await _correctable(tx.conn, plaza_id, unit, body.entry_id, body.reason)
    if await store.pending_correction_of(tx.conn, plaza_id, body.entry_id):
        raise Conflict(f"a correction of entry {body.entry_id!r} is waiting for approval already", field="entry_id")
    row = _request_row(plaza_id, unit, "correction", actor, amount_fen=original.amount_fen, reason=body.reason,
                       reverses_entry_id=body.entry_id)
    await store.add_request(tx.conn, row)
    return request_view(row)


async def decide_refund(tx: Tx, plaza_id: str, unit: str, request_id: str, *, actor: str, approve: bool) -> RequestView:
    """Approved: the refund is posted out of the credit as it is now, and RefundIssued
    announced (its actor the approver, who released the money; the entry names both)."""
    await store.lock_account(tx.conn, plaza_id, unit)
    request = await _decided(tx, plaza_id, unit, "refund", request_id, actor, approve)
    if not approve:
        return await _record(tx, plaza_id, request, actor, None)
    entries = await store.entries_of(tx.conn, plaza_id, unit)
    try:
        posting = domain.refund(request["amount_fen"], request["method"], request["reason"], domain.credit_fen(entries))
    except domain.Refused as exc:
        raise refused(exc) from None
    posting = msgspec.structs.replace(posting, reference=request["reference"], approver=actor)
    entry_id = await _post(tx, plaza_id, unit, posting, request)
    await tx.emit(RefundIssued(
        plaza_id=plaza_id, correlation_id=request["id"], actor=actor, unit=unit, entry_id=entry_id,
        amount_fen=posting.amount_fen, method=request["method"], reason=request["reason"],
        reference=request["reference"],
    ))
    return await _record(tx, plaza_id, request, actor, entry_id, domain.owed_fen([*entries, posting]))


async def decide_correction(tx: Tx, plaza_id: str, unit: str, request_id: str, *, actor: str,
                            approve: bool) -> RequestView:
    """Approved: the reversing entry is posted and EntryCorrected announced (actor the
    asker, approver the caller)."""
    await store.lock_account(tx.conn, plaza_id, unit)
    request = await _decided(tx, plaza_id, unit, "correction", request_id, actor, approve)
    if not approve:
        return await _record(tx, plaza_id, request, actor, None)
    original = await _correctable(tx.conn, plaza_id, unit, request["reverses_entry_id"], request["reason"])
    try:
        posting = domain.correction(original, request["reason"], actor)
    except domain.Refused as exc:
        raise refused(exc) from None
    entry_id = await _post(tx, plaza_id, unit, posting, request)
    await tx.emit(EntryCorrected(
        plaza_id=plaza_id, correlation_id=request["id"], actor=request["requested_by"], unit=unit,
        entry_id=entry_id, reverses_entry_id=original.id, kind=posting.kind, amount_fen=posting.amount_fen,
        reason=request["reason"], approver=actor,
    ))
    owed = domain.owed_fen(await store.entries_of(tx.conn, plaza_id, unit))
    return await _record(tx, plaza_id, request, actor, entry_id, owed)


async def list_requests(conn, plaza_id: str, *, kind: str | None, status: str | None, after: str | None,
                        limit: int) -> list[dict]:
    return await store.requests(conn, plaza_id, kind=kind, status=status, after=after, limit=limit)


def _request_row(plaza_id: str, unit: str, kind: str, actor: str, **values) -> dict:
    return {"id": new_event_id(), "plaza_id": plaza_id, "unit": unit, "kind": kind, "status": "pending",
            "requested_by": actor, "requested_at": utcnow(), "decided_by": None, "decided_at": None,
            "entry_id": None, "method": None, "reference": None, "reason": None, "reverses_entry_id": None, **values}


async def _correctable(conn, plaza_id: str, unit: str, entry_id: str, reason: str):
    original = await store.get_entry(conn, plaza_id, unit, entry_id)
    if original is None:
        raise NotFound(f"entry {entry_id!r} is not on unit {unit!r}'s account", field="entry_id")
    try:
        domain.correctable(original, reason)
    except domain.Refused as exc:
        raise refused(exc) from None
    if await store.is_reversed(conn, plaza_id, entry_id):
        raise Conflict(f"entry {entry_id!r} has already been corrected", field="entry_id")
    return original


async def _decided(tx: Tx, plaza_id: str, unit: str, kind: str, request_id: str, actor: str, approve: bool) -> dict:
    """The pending request, once the rules allow ``actor`` to decide it (four eyes)."""
    request = await store.get_request(tx.conn, plaza_id, unit, kind, request_id)
    if request is None:
        raise NotFound(f"no {kind} request {request_id!r} on unit {unit!r}'s account", field="request_id")
    status = foureyes.decide(request["status"], request["requested_by"], actor, f"this {kind}", approve=approve)
    return {**request, "status": status}


async def _post(tx: Tx, plaza_id: str, unit: str, posting: domain.Posting, request: dict) -> str:
    entry_id, now = new_event_id(), utcnow()
    await store.add_entry(tx.conn, store.entry_row(
        plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=request["requested_by"], source=f"request:{request['id']}",
    ))
    return entry_id


async def _record(tx: Tx, plaza_id: str, request: dict, actor: str, entry_id: str | None,
                  owed: int | None = None) -> RequestView:
    values = {"status": request["status"], "decided_by": actor, "decided_at": utcnow(), "entry_id": entry_id}
    if not await store.decide_request(tx.conn, plaza_id, request["id"], values):
        raise Conflict("this request was decided meanwhile; read it again", field="status")
    return request_view({**request, **values}, owed)
