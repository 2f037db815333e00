"""Property fees' HTTP API (物业费): the plaza's rates, fee runs, invoices. Translation only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime import limits
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.billing.fees import domain
from services.billing.fees import services as fees


class FeeRates(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # fen per m² per month; the sign and due_days' range are the domain's to refuse
    shop: limits.Amount
    office: limits.Amount
    residence: limits.Amount
    due_days: limits.Count = domain.DEFAULT_DUE_DAYS
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


RATES_EXAMPLE = Example(
    summary="商铺、写字楼、住宅的费率 / Rates for shops, offices and homes",
    value={"shop": 1200, "office": 800, "residence": 350, "due_days": 15},
)
FEE_RUN_EXAMPLE = Example(summary="为十二月出账 / Invoice December", value={"period": "2026-12"})


def _rates(r: domain.Rates) -> FeeRates:
    return FeeRates(shop=r.shop, office=r.office, residence=r.residence, due_days=r.due_days)


class FeeController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["fees"]

    @get("/fee-rates", summary="查看物业费费率 / Show the fee rates",
         description="物业费费率：每平方米每月的分数，按单元用途（商铺、写字楼、住宅），以及账期天数。"
                     "尚未设置时返回 404。 / The property-fee rates in fen per m² per month by unit use "
                     "(shop, office, residence) and the days until an invoice falls due; 404 until set.")
    async def rates(self, plaza: FromPath[str], runtime: Runtime) -> FeeRates:
        async with runtime.read() as conn:
            return _rates(await fees.get_fee_rates(conn, plaza))

    @put("/fee-rates", summary="设置物业费费率 / Set the fee rates",
         description="整体替换广场的物业费费率；负数或超出 0–365 的账期天数返回 422。 / Replaces the plaza's "
                     "fee rates; a negative rate or due_days outside 0–365 is refused (422).")
    async def set_rates(
        self, plaza: FromPath[str], data: Annotated[FeeRates, Body(examples=[RATES_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> FeeRates:
        plaza_token(plaza)
        rates = domain.Rates(shop=data.shop, office=data.office, residence=data.residence, due_days=data.due_days)
        async with runtime.transaction() as tx:
            return _rates(await fees.set_fee_rates(tx, plaza, rates, actor=actor))

    @post("/fee-runs", status_code=201, summary="按账期出账 / Run the fees of a period",
          description="为每个已入住单元开一张该账期（月如 2026-12，季度如 2026-Q4）的物业费发票，按入住天数折算；"
                      "重复执行不会重复开票。 / One invoice per occupied unit for the period (a month like "
                      "2026-12 or a quarter like 2026-Q4), pro-rated by the days occupied; a repeated run "
                      "finds them already issued.")
    async def fee_run(
        self, plaza: FromPath[str], data: Annotated[fees.FeeRun, Body(examples=[FEE_RUN_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> fees.FeeRunReport:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await fees.run_fees(tx, plaza, data, actor=actor)

    @get("/invoices", summary="发票列表 / List invoices",
         description="广场的物业费发票，按到期日排序，可按单元和账期筛选。 / The plaza's property-fee "
                     "invoices by due date, optionally of one unit or one period.")
    async def invoices(
        self, plaza: FromPath[str], runtime: Runtime,
        unit: str | None = Parameter(query="unit", default=None),
        period: str | None = Parameter(query="period", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await fees.list_invoices(conn, plaza, unit, period)
        return Page(items=[InvoiceView(
            id=r.id, unit=r.unit, period=r.period, amount_fen=r.amount_fen, due_date=r.due_date.isoformat(),
            entry_id=r.entry_id, issued_at=iso(r.issued_at)) for r in rows])
