"""Property-fee use cases: the plaza's rates and the (repeatable) fee run."""

from __future__ import annotations

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import InvoiceIssued
from libs.runtime import limits
from libs.runtime.errors import NotFound
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.fees import domain
from services.billing.fees import store
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import services as ledger
from services.billing.ledger import store as ledger_store


class FeeRun(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period: limits.Code


class FeeRunReport(msgspec.Struct, kw_only=True):
    period: str
    invoiced: int
    already_invoiced: int
    not_occupied: int
    total_fen: int
    currency: str = ledger_domain.CURRENCY


async def set_fee_rates(tx: Tx, plaza_id: str, rates: domain.Rates, *, actor: str) -> domain.Rates:
    try:
        domain.validate_rates(rates)
    except ledger_domain.Refused as exc:
        raise ledger.refused(exc) from None
    await store.save_rates(tx.conn, plaza_id, {**msgspec.structs.asdict(rates), "updated_at": utcnow(), "updated_by": actor})
    return rates


async def get_fee_rates(conn, plaza_id: str) -> domain.Rates:
    row = await store.rates_of(conn, plaza_id)
    if row is None:
        raise NotFound(f"plaza {plaza_id!r} has no fee rates yet (PUT /v1/plazas/{plaza_id}/fee-rates)",
                       field="fee_rates")
    return domain.Rates(shop=row.shop, office=row.office, residence=row.residence, due_days=row.due_days)


async def run_fees(tx: Tx, plaza_id: str, body: FeeRun, *, actor: str) -> FeeRunReport:
    """One invoice per unit per period: a repeated run finds them all already there."""
    try:
        period = domain.parse_period(body.period)
    except ledger_domain.Refused as exc:
        raise ledger.refused(exc) from None
    rates = await get_fee_rates(tx.conn, plaza_id)
    report = FeeRunReport(period=period.key, invoiced=0, already_invoiced=0, not_occupied=0, total_fen=0)
    for unit in await facts.units_of(tx.conn, plaza_id):
        event = await _invoice_unit(tx, plaza_id, unit, period, rates, actor)
        if event is None:
            report.not_occupied += 1
        elif event is False:
            report.already_invoiced += 1
        else:
            report.invoiced += 1
            report.total_fen += event.amount_fen
    return report


async def _invoice_unit(tx: Tx, plaza_id: str, unit, period, rates, actor: str):
    rate = rates.for_use(unit.use)
    amount = domain.fee_fen(rate, unit.area_m2, period, unit.occupancy_date)
    if amount <= 0:
        return None
    invoice_id, entry_id, now = new_event_id(), new_event_id(), utcnow()
    due = domain.due_date(period, rates)
    row = {"id": invoice_id, "plaza_id": plaza_id, "unit": unit.unit, "period": period.key,
           "amount_fen": amount, "due_date": due, "entry_id": entry_id, "issued_at": now}
    if not await store.add_invoice_once(tx.conn, row):
        return False
    posting = ledger_domain.Posting(
        kind="fee", amount_fen=amount, description=f"property fee {period.key}", invoice_id=invoice_id,
        due_date=due, line_id=f"fee:{unit.unit}:{period.key}",
    )
    await ledger_store.add_entry(tx.conn, ledger_store.entry_row(
        plaza_id, unit.unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=actor, source=f"request:fee-run:{period.key}",
    ))
    event = InvoiceIssued(
        plaza_id=plaza_id, occurred_at=now, correlation_id=invoice_id, actor=actor, unit=unit.unit,
        invoice_id=invoice_id, entry_id=entry_id, period=period.key, amount_fen=amount, due_date=due,
        use=unit.use, area_m2=unit.area_m2, rate_fen=rate,
    )
    await tx.emit(event)
    return event


async def list_invoices(conn, plaza_id: str, unit: str | None, period: str | None):
    return await store.invoices_of(conn, plaza_id, unit, period)
