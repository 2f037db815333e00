"""Prepaid water and electricity's HTTP API (水电费充值): tariffs, recharges, meter
readings. Translation only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.billing.ledger.services import MONEY_KEY
from services.billing.prepaid import services as prepaid

TARIFF_EXAMPLE = Example(
    summary="电价每度 1.20 元，余额低于 50 元提醒 / Electricity at 1.20 yuan per kWh, warn under 50 yuan",
    value={"price_fen": 120, "low_balance_fen": 5000},
)
RECHARGE_EXAMPLE = Example(
    summary="微信充值 200 元 / A 200-yuan recharge by WeChat",
    value={"amount_fen": 20000, "method": "wechat", "reference": "WX-20261205-0042"},
)
READING_EXAMPLE = Example(summary="电表读数 / An electricity meter reading",
                          value={"utility": "electricity", "reading": 1234.5})


class PrepaidController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["prepaid"]

    @put("/prepaid/tariffs/{utility:str}", summary="设置水电单价 / Set a utility's tariff",
         description="electricity 或 water 的单价（每度或每立方米的分数）和低余额提醒线；整体替换。 / The "
                     "price in fen per kWh or m³ of electricity or water, and the balance under which a "
                     "PrepaidBalanceLow is announced; replaces the previous one.")
    async def set_tariff(
        self, plaza: FromPath[str], utility: FromPath[str],
        data: Annotated[prepaid.Tariff, Body(examples=[TARIFF_EXAMPLE])], runtime: Runtime,
    ) -> prepaid.Tariff:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await prepaid.set_tariff(tx, plaza, utility, data)

    @post("/accounts/{unit:str}/prepaid/{utility:str}/recharges", status_code=201,
          summary="水电费充值 / Recharge a prepaid utility",
          description="充值计入单元该项水电的预付余额（与欠费分开）；必须带 Idempotency-Key，重试不会重复收款。 / "
                      "Adds to the unit's prepaid balance of that utility (kept apart from what it owes); "
                      "needs an Idempotency-Key, so a retry never takes the money twice.")
    async def recharge(
        self, plaza: FromPath[str], unit: FromPath[str], utility: FromPath[str],
        data: Annotated[prepaid.RechargeCreate, Body(examples=[RECHARGE_EXAMPLE])], runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = ACTOR,
    ) -> prepaid.RechargeAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await prepaid.recharge(tx, plaza, unit, utility, data, actor=actor, idempotency_key=idempotency_key)

    @post("/accounts/{unit:str}/meter-readings", status_code=201, summary="登记抄表读数 / Record a meter reading",
          description="（本次读数 − 上次读数）× 单价从预付余额扣除；表的第一次读数为起点。余额跌破提醒线时发出 "
                      "PrepaidBalanceLow。 / (reading − previous) × tariff comes off the prepaid balance; a "
                      "meter's first reading is its baseline. Crossing the low-balance line announces "
                      "PrepaidBalanceLow.")
    async def reading(
        self, plaza: FromPath[str], unit: FromPath[str],
        data: Annotated[prepaid.ReadingCreate, Body(examples=[READING_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> prepaid.ReadingAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await prepaid.record_reading(tx, plaza, unit, data, actor=actor)
