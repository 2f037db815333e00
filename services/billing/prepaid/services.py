"""Prepaid water and electricity use cases: tariffs, recharges, meter readings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import PrepaidBalanceLow
from libs.runtime import idempotency, limits
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import services as ledger
from services.billing.ledger import store as ledger_store
from services.billing.prepaid import domain
from services.billing.prepaid import store
from services.billing.tables import idempotency_keys

Utility = Literal["electricity", "water"]


class Tariff(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    price_fen: limits.Amount  # per kWh or per m³
    low_balance_fen: limits.Amount = 0


class RechargeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount_fen: limits.Amount
    method: Literal["cash", "card", "transfer", "wechat", "alipay"]
    reference: limits.line(255) | None = None


class RechargeAccepted(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    utility: str
    amount_fen: int
    balance_fen: int
    currency: str = ledger_domain.CURRENCY


class ReadingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    utility: Utility
    reading: Annotated[float, msgspec.Meta(le=1e12)]  # the sign is the ledger_domain's to refuse


class ReadingAccepted(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    utility: str
    reading: float
    previous: float | None
    deduction_fen: int
    balance_fen: int
    low_balance: bool


async def set_tariff(tx: Tx, plaza_id: str, utility: str, tariff: Tariff) -> Tariff:
    try:
        domain.validate_utility(utility)
    except ledger_domain.Refused as exc:
        raise ledger.refused(exc) from None
    for field in ("price_fen", "low_balance_fen"):
        if getattr(tariff, field) < 0:
            raise InvalidInput(f"{field} must not be negative", field=field)
    await store.save_tariff(
        tx.conn, plaza_id, utility, {"price_fen": tariff.price_fen, "low_balance_fen": tariff.low_balance_fen})
    return tariff


async def get_tariff(conn, plaza_id: str, utility: str):
    row = await store.tariff_of(conn, plaza_id, utility)
    if row is None:
        raise NotFound(f"plaza {plaza_id!r} has no {utility} tariff (PUT /v1/plazas/{plaza_id}/tariffs/{utility})",
                       field="utility")
    return row


def _prepaid_balance(entries, utility: str) -> int:
    return ledger_domain.balances(entries).prepaid_fen.get(utility, 0)


async def recharge(tx: Tx, plaza_id: str, unit: str, utility: str, body: RechargeCreate, *,
                   actor: str, idempotency_key: str | None) -> RechargeAccepted:
    async def run() -> RechargeAccepted:
        return await _recharge(tx, plaza_id, unit, utility, body, actor, idempotency_key)

    # A recharge is a payment too: taken only with a key, so a retry is never taken twice.
    return await idempotency.once(
        tx.conn, idempotency_keys, plaza_id, f"recharge-{utility}:{unit}", idempotency_key, body,
        RechargeAccepted, run, required=True,
    )


async def _recharge(tx: Tx, plaza_id: str, unit: str, utility: str, body: RechargeCreate,
                    actor: str, idempotency_key: str | None) -> RechargeAccepted:
    try:
        domain.validate_utility(utility)
        ledger_domain.validate_payment(body.amount_fen, body.method)
    except ledger_domain.Refused as exc:
        raise ledger.refused(exc) from None
    await ledger.require_account(tx.conn, plaza_id, unit)
    posting = ledger_domain.Posting(kind="prepaid_recharge", amount_fen=body.amount_fen, utility=utility,
                             method=body.method, reference=body.reference, description=f"{utility} recharge")
    entry_id, now = new_event_id(), utcnow()
    await ledger_store.add_entry(tx.conn, ledger_store.entry_row(
        plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=actor, source=f"request:{idempotency_key or entry_id}",
    ))
    balance = _prepaid_balance(await ledger_store.entries_of(tx.conn, plaza_id, unit), utility)
    return RechargeAccepted(id=entry_id, unit=unit, utility=utility, amount_fen=body.amount_fen, balance_fen=balance)


async def record_reading(tx: Tx, plaza_id: str, unit: str, body: ReadingCreate, *, actor: str,
                         now: dt.datetime | None = None) -> ReadingAccepted:
    """(reading − previous) × tariff comes off the prepaid balance; the first reading is the baseline."""
    await ledger.require_account(tx.conn, plaza_id, unit)
    tariff = await get_tariff(tx.conn, plaza_id, body.utility)
    await ledger_store.lock_account(tx.conn, plaza_id, unit)
    previous = await store.last_reading(tx.conn, plaza_id, unit, body.utility)
    try:
        reading = domain.to_milli(body.reading)
        deduction = domain.deduction_fen(previous, reading, tariff.price_fen)
    except ledger_domain.Refused as exc:
        raise ledger.refused(exc) from None
    now = now or utcnow()
    before = _prepaid_balance(await ledger_store.entries_of(tx.conn, plaza_id, unit), body.utility)
    reading_id = new_event_id()
    if deduction:
        posting = ledger_domain.Posting(kind="prepaid_deduction", amount_fen=deduction, utility=body.utility,
                                 line_id=f"reading:{reading_id}", description=f"{body.utility} used")
        await ledger_store.add_entry(tx.conn, ledger_store.entry_row(
            plaza_id, unit, new_event_id(), posting, occurred_at=now, recorded_at=now, causation_id=None,
            actor=actor, source=f"request:{reading_id}",
        ))
    after = before - deduction
    await store.add_reading(tx.conn, dict(
        id=reading_id, plaza_id=plaza_id, unit=unit, utility=body.utility, reading_milli=reading,
        previous_milli=previous, price_fen=tariff.price_fen, deduction_fen=deduction, balance_fen=after,
        read_at=now, actor=actor,
    ))
    low = domain.crossed_low(before, after, tariff.low_balance_fen)
    if low:
        await tx.emit(PrepaidBalanceLow(
            plaza_id=plaza_id, occurred_at=now, correlation_id=reading_id, actor=actor, unit=unit,
            utility=body.utility, balance_fen=after, threshold_fen=tariff.low_balance_fen,
        ))
    return ReadingAccepted(
        id=reading_id, unit=unit, utility=body.utility, reading=reading / domain.MILLI,
        previous=None if previous is None else previous / domain.MILLI,
        deduction_fen=deduction, balance_fen=after, low_balance=after < tariff.low_balance_fen,
    )
