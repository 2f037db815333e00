"""Billing use cases: each one function, one transaction, its events to the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    ChargePosted,
    PaymentReceived,
    UnitRegistered,
    WorkOrderClosed,
)
from libs.runtime import idempotency, limits, replica
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.billing import domain, domain_arrears, domain_fees, services_dunning, store


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


def _refused(exc: domain.Refused) -> InvalidInput:
    return InvalidInput(exc.detail, field=exc.field)


async def receive_payment(
    tx: Tx, plaza_id: str, unit: str, body: PaymentCreate, *, actor: str, idempotency_key: str | None
) -> PaymentAccepted:
    async def run() -> PaymentAccepted:
        return await _receive_payment(tx, plaza_id, unit, body, actor, idempotency_key)

    # Money moves only with a key: a payment retried after a lost answer is never taken twice.
    return await idempotency.once(
        tx.conn, store.idempotency_keys, plaza_id, f"payments:{unit}", idempotency_key, body, PaymentAccepted, run,
        required=True,
    )


async def _receive_payment(
    tx: Tx, plaza_id: str, unit: str, body: PaymentCreate, actor: str, idempotency_key: str | None
) -> PaymentAccepted:
    try:
        posting = domain.payment(body.amount_fen, body.method, body.reference)
    except domain.Refused as exc:
        raise _refused(exc) from None
    await _require_account(tx.conn, plaza_id, unit)

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


async def _require_account(conn, plaza_id: str, unit: str) -> bool:
    """A unit has an account if archive told us of it or money has moved on it already."""
    known = await store.get_unit(conn, plaza_id, unit) is not None
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
    zones = await store.plaza_zones(tx.conn, {e.plaza_id for e in events if e.paid})
    try:
        charges = domain.charges_of_closings(events, zones)
    except domain.Refused as exc:
        raise _refused(exc) from None
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
    known = await _require_account(conn, plaza_id, unit)
    entries = await store.entries_of(conn, plaza_id, unit)
    totals = domain.balances(entries)
    return Account(
        unit=unit, known=known, entries=list(entries), owed_fen=totals.owed_fen,
        deposit_held_fen=totals.deposit_held_fen, prepaid_fen=totals.prepaid_fen,
        open_items=domain_arrears.open_items(entries, await store.plaza_zone(conn, plaza_id)),
    )


async def list_accounts(conn, plaza_id: str) -> list[tuple[str, int, object | None]]:
    """Every unit with an account, arrears first: (unit, owed_fen, archive's unit row)."""
    known = {row.unit: row for row in await store.units_of(conn, plaza_id)}
    sums: dict[str, list] = {unit: [] for unit in known}
    for total in await store.totals_by_unit(conn, plaza_id):
        sums.setdefault(total.unit, []).append(total)
    accounts = [(unit, domain.owed_fen(totals), known.get(unit)) for unit, totals in sums.items()]
    return sorted(accounts, key=lambda a: (-a[1], a[0]))


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as billing's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, store.plazas, store.units, events, unit_extra=_billing_facts)


async def require_known_facts(tx: Tx, events: list) -> None:
    """Nothing is charged or held for a plaza or unit archive has not registered
    (UnknownFact: the consumer waits for archive's facts a while, then dead-letters it)."""
    await replica.require_known(tx.conn, store.plazas, store.units, events)


def _billing_facts(event: UnitRegistered) -> dict:
    return {"occupancy_date": domain_fees.occupancy_date(event.occupancy_date)}


def now() -> dt.datetime:
    """The clock of periodic work; tests swap it with monkeypatch."""
    return utcnow()


async def run_dunning_everywhere(runtime) -> None:
    """The periodic dunning run: one transaction per plaza, each idempotent."""
    async with runtime.read() as conn:
        plazas = await services_dunning.dunning_plazas(conn)
    for plaza_id in plazas:
        async with runtime.transaction() as tx:
            await services_dunning.run_dunning(tx, plaza_id, now())
