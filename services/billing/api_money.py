"""Billing's HTTP API for property fees and prepaid utilities: translation only."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.runtime import limits
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.billing import domain_fees, services_fees, services_prepaid, services_reports


class FeeRates(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # fen per m² per month; the sign and due_days' range are the domain's to refuse
    shop: limits.Amount
    office: limits.Amount
    residence: limits.Amount
    due_days: limits.Count = domain_fees.DEFAULT_DUE_DAYS
    currency: limits.Code = "CNY"
    per: limits.Code = "m2_month"


class InvoiceView(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    period: str
    amount_fen: int
    due_date: str
    entry_id: str
    issued_at: str
    currency: str = "CNY"


def _rates(r: domain_fees.Rates) -> FeeRates:
    return FeeRates(shop=r.shop, office=r.office, residence=r.residence, due_days=r.due_days)


class FeeController(Controller):
    path = "/v1/plazas/{plaza:str}"

    @get("/fee-rates")
    async def rates(self, plaza: FromPath[str], runtime: Runtime) -> FeeRates:
        async with runtime.read() as conn:
            return _rates(await services_fees.get_fee_rates(conn, plaza))

    @put("/fee-rates")
    async def set_rates(
        self, plaza: FromPath[str], data: FeeRates, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="finance"),
    ) -> FeeRates:
        plaza_token(plaza)
        rates = domain_fees.Rates(shop=data.shop, office=data.office, residence=data.residence, due_days=data.due_days)
        async with runtime.transaction() as tx:
            return _rates(await services_fees.set_fee_rates(tx, plaza, rates, actor=actor))

    @post("/fee-runs", status_code=201)
    async def fee_run(
        self, plaza: FromPath[str], data: services_fees.FeeRun, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="finance"),
    ) -> services_fees.FeeRunReport:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_fees.run_fees(tx, plaza, data, actor=actor)

    @get("/invoices")
    async def invoices(
        self, plaza: FromPath[str], runtime: Runtime,
        unit: str | None = Parameter(query="unit", default=None),
        period: str | None = Parameter(query="period", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await services_fees.list_invoices(conn, plaza, unit, period)
        return Page(items=[InvoiceView(
            id=r.id, unit=r.unit, period=r.period, amount_fen=r.amount_fen, due_date=r.due_date.isoformat(),
            entry_id=r.entry_id, issued_at=iso(r.issued_at)) for r in rows])


class PrepaidController(Controller):
    path = "/v1/plazas/{plaza:str}/prepaid"

    @put("/tariffs/{utility:str}")
    async def set_tariff(
        self, plaza: FromPath[str], utility: FromPath[str], data: services_prepaid.Tariff, runtime: Runtime,
    ) -> services_prepaid.Tariff:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_prepaid.set_tariff(tx, plaza, utility, data)

    @get("/report")
    async def report(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = Parameter(query="month", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            return Page(items=await services_reports.prepaid_report(conn, plaza, month))
