"""The service catalogue's HTTP API: the plaza's price list, the ad hoc charge threshold,
ad hoc charges (asked by finance; above the threshold approved by a second person).
Translation only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.billing.catalogue import services as catalogue
from services.billing.ledger.services import MONEY_KEY

ITEM_EXAMPLE = Example(
    summary="空调清洗，每台 120 元 / Air-conditioner cleaning, 120 yuan a unit",
    value={"name_zh": "空调清洗", "name_en": "Air-conditioner cleaning", "department": "engineering",
           "pricing": "per_unit", "price_fen": 12000, "unit_name": "台", "tax_treatment": "included",
           "tax_rate_bp": 600, "active_from": "2026-01-01"},
)
AD_HOC_EXAMPLE = Example(
    summary="代收快递保管费 / Parcel storage, 20 yuan",
    value={"item": "parcel-storage", "amount_fen": 2000, "reason": "parcel kept 10 days", "quantity": 1, "unit_name": "件"},
)


class CatalogueController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["catalogue"]

    @get("/catalogue", summary="服务目录 / The service catalogue",
         description="广场的有偿服务价目（多种经营）：编码、中英文名称、部门、定价方式（固定价、按单位计价、报价）、"
                     "税务处理、销售起止日期；on=YYYY-MM-DD 只列当日在售的。 / The plaza's price list of paid "
                     "services: code, names, department, pricing (fixed, per unit, quoted), tax treatment and "
                     "the days it is sold; on=YYYY-MM-DD lists those sold that day.")
    async def index(self, plaza: FromPath[str], runtime: Runtime,
                    on: dt.date | None = Parameter(query="on", default=None)) -> Page:
        async with runtime.read() as conn:
            return Page(items=await catalogue.list_items(conn, plaza, on))

    @put("/catalogue/{code:str}", summary="设置服务目录项 / Set a catalogue item",
         description="新建或整体替换一项服务；固定价与按单位计价须有 price_fen（含税价，分），报价项没有价目"
                     "（工单办结时带报价 quoted_fen）。 / Creates or replaces an item; fixed and per-unit items "
                     "carry price_fen (tax included, fen), a quoted item none (the job carries its quote).")
    async def put_item(self, plaza: FromPath[str], code: FromPath[str],
                       data: Annotated[catalogue.ItemUpdate, Body(examples=[ITEM_EXAMPLE])],
                       runtime: Runtime) -> catalogue.ItemView:
        plaza_token(plaza)
        plaza_token(code)
        async with runtime.transaction() as tx:
            return await catalogue.put_item(tx, plaza, code, data)

    @get("/catalogue-settings", summary="服务目录设置 / Catalogue settings",
         description="临时收费超过多少（分）须第二人审批；未设置时每笔都须审批。 / Above which amount (fen) an "
                     "ad hoc charge needs a second person's approval; unset: every one does.")
    async def settings(self, plaza: FromPath[str], runtime: Runtime) -> dict:
        async with runtime.read() as conn:
            return await catalogue.get_settings(conn, plaza)

    @put("/catalogue-settings", summary="设置临时收费审批线 / Set the ad hoc approval threshold",
         description="临时收费超过此金额（分）须第二人审批（四眼原则）。 / Ad hoc charges above this amount (fen) "
                     "wait for a second person (four eyes).")
    async def put_settings(self, plaza: FromPath[str], data: catalogue.SettingsUpdate,
                           runtime: Runtime) -> catalogue.SettingsUpdate:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await catalogue.set_settings(tx, plaza, data)

    @post("/accounts/{unit:str}/ad-hoc-charges", status_code=201, summary="临时收费 / Charge an ad hoc service",
          description="财务为工单以外的有偿服务收费（项目、数量与单位、金额、原因）；不超过广场审批线即记账，"
                      "超过则待第二人审批（status pending）。必须带 Idempotency-Key。 / Finance charges a paid "
                      "service no work order carries (item, quantity and unit, amount, reason): posted at once up "
                      "to the plaza's threshold, above it pending a second person. Needs an Idempotency-Key.")
    async def ad_hoc(
        self, plaza: FromPath[str], unit: FromPath[str],
        data: Annotated[catalogue.AdHocCreate, Body(examples=[AD_HOC_EXAMPLE])], runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = ACTOR,
    ) -> catalogue.AdHocView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await catalogue.request_ad_hoc(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)

    @post("/accounts/{unit:str}/ad-hoc-charges/{charge_id:str}/approve", status_code=200,
          summary="审批临时收费 / Approve an ad hoc charge",
          description="第二人审批：记账并发出 ChargePosted。申请人本人审批 403（四眼原则），已决定 409。 / A second "
                      "person approves: the charge is posted and ChargePosted announced. The asker approving "
                      "their own answers 403 (four eyes), a decided one 409.")
    async def approve(self, plaza: FromPath[str], unit: FromPath[str], charge_id: FromPath[str], runtime: Runtime,
                      actor: str = ACTOR) -> catalogue.AdHocView:
        async with runtime.transaction() as tx:
            return await catalogue.decide_ad_hoc(tx, plaza, unit, charge_id, actor=actor, approve=True)

    @post("/accounts/{unit:str}/ad-hoc-charges/{charge_id:str}/reject", status_code=200,
          summary="驳回临时收费 / Reject an ad hoc charge",
          description="驳回（申请人也可撤回），不记账；已决定 409。 / Rejects it (the asker may withdraw their "
                      "own); nothing is posted. A decided one answers 409.")
    async def reject(self, plaza: FromPath[str], unit: FromPath[str], charge_id: FromPath[str], runtime: Runtime,
                     actor: str = ACTOR) -> catalogue.AdHocView:
        async with runtime.transaction() as tx:
            return await catalogue.decide_ad_hoc(tx, plaza, unit, charge_id, actor=actor, approve=False)

    @get("/ad-hoc-charges", summary="临时收费列表 / Ad hoc charges",
         description="广场的临时收费；status=pending 只列待审批的。 / The plaza's ad hoc charges; status=pending "
                     "lists those waiting for a second person.")
    async def ad_hoc_list(
        self, plaza: FromPath[str], runtime: Runtime,
        status: Literal["pending", "approved", "rejected", "posted"] | None = Parameter(query="status", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            return Page(items=await catalogue.list_ad_hoc(conn, plaza, status))
