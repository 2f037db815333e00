"""The warehouse over HTTP: goods receipts, requisitions, stocktakes, the stock's value and
its movements (JSON or Excel). Translation only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, Response, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime import export
from libs.runtime.auth import ACTOR
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.dispatch.sla import services as sla
from libs.contracts import new_event_id
from services.dispatch.stock.services import Who
from services.dispatch.warehouse import services as warehouse

COMMAND_ID = Parameter(header="X-Request-Id", default=None)


def _who(actor: str, command_id: str | None) -> Who:
    command_id = command_id or new_event_id()
    return Who(actor=actor, command_id=command_id, correlation_id=command_id)


C = export.Column
FORMATS = ("json", "xlsx")
MOVEMENT_COLUMNS = [
    C("occurred_at", "时间 (UTC)", "when (UTC)", "datetime"), C("sku", "物料编码", "sku"),
    C("kind", "类型", "kind"), C("delta", "变动数量", "change", "count"),
    C("quantity_after", "变动后结存", "level after", "count"), C("reason", "说明", "note"),
    C("work_order_id", "工单编号", "work order"), C("actor", "经办人", "by"), C("approved_by", "审批人", "approved by"),
]
SHEET_COLUMNS = [
    C("sku", "物料编码", "sku"), C("name", "名称", "name"), C("expected", "账面数量", "expected", "count"),
    C("counted", "实盘数量", "counted", "count"), C("variance", "盘盈(+)/盘亏(-)", "variance", "count"),
    C("cost_fen", "平均成本", "average cost", "money"), C("variance_fen", "差异金额", "variance value", "money"),
]
VALUE_COLUMNS = [
    C("sku", "物料编码", "sku"), C("name", "名称", "name"), C("quantity", "结存数量", "on hand", "count"),
    C("average_cost_fen", "平均成本", "average cost", "money"), C("value_fen", "库存金额", "value", "money"),
]
RECEIPT_EXAMPLE = Example(summary="五金公司送货 / A delivery from the hardware supplier", value={
    "supplier": "东方五金", "document_id": "DN-2026-1201",
    "lines": [{"sku": "PPR-20", "quantity": 50, "unit_cost_fen": 1200}]})
REQUISITION_EXAMPLE = Example(summary="工程部领用 / Engineering takes pipe", value={
    "department": "engineering", "person": "eng-wang", "lines": [{"sku": "PPR-20", "quantity": 4}],
    "reason": "B2 car park leak"})


def sheet_view(row: dict) -> dict:
    lines = []
    for line in warehouse.sheet_of(row):
        variance = line.variance
        lines.append({"sku": line.sku, "name": line.name, "expected": line.expected, "counted": line.counted,
                      "variance": variance, "cost_fen": line.cost_fen,
                      "variance_fen": None if variance is None else variance * line.cost_fen})
    return {**{k: v for k, v in row.items() if k != "lines"}, "lines": lines,
            "variance_fen": sum(x["variance_fen"] or 0 for x in lines)}


def _stocktake_sheets(view: dict) -> list[export.Sheet]:
    summary = export.summary("汇总", "summary", [
        (C("day", "盘点日期", "stocktake date", "date"), view["day"]),
        (C("status", "状态", "status"), view["status"]),
        (C("lines", "物料种数", "items", "count"), len(view["lines"])),
        (C("short", "盘亏种数", "items short", "count"), sum(1 for x in view["lines"] if (x["variance"] or 0) < 0)),
        (C("variance_fen", "差异金额合计", "variance value", "money"), view["variance_fen"]),
        (C("submitted_by", "盘点人", "counted by"), view["submitted_by"]),
        (C("decided_by", "审批人", "approved by"), view["decided_by"]),
    ])
    return [summary, export.Sheet("盘点表", "sheet", SHEET_COLUMNS, view["lines"])]


class WarehouseController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["warehouse"]

    @post("/goods-receipts", status_code=201, summary="入库 / Receive goods",
          description="供应商送货入库：供应商、单据号，每行物料、数量、单价（分）；库存增加，平均成本随之更新。同一供应商的"
                      "同一单据只能入库一次（409）。 / Goods received from a supplier (supplier, document id, and per "
                      "line sku, quantity, unit cost in fen): levels rise and each item's average cost moves. One "
                      "supplier's document is received once (409).")
    async def receive(self, plaza: FromPath[str],
                      data: Annotated[warehouse.GoodsReceiptCreate, Body(examples=[RECEIPT_EXAMPLE])],
                      runtime: Runtime, actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await warehouse.receive_goods(tx, plaza, data, _who(actor, command_id), sla.now())

    @get("/goods-receipts", summary="入库单 / Goods receipts",
         description="广场的入库单。 / The plaza's goods receipts.")
    async def receipts(self, plaza: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            return Page(items=await warehouse.store.receipts(conn, plaza))

    @post("/requisitions", status_code=201, summary="申请领用 / Ask for a requisition",
          description="部门或个人领用物料（可关联工单），待主管审批后出库。 / A department or a person asks for "
                      "materials (with or without a work order); they leave the stock once the supervisor approves.")
    async def requisition(self, plaza: FromPath[str],
                          data: Annotated[warehouse.RequisitionCreate, Body(examples=[REQUISITION_EXAMPLE])],
                          runtime: Runtime, actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await warehouse.request_requisition(tx, plaza, data, _who(actor, command_id), sla.now())

    @get("/requisitions", summary="领用申请 / Requisitions",
         description="广场的领用申请；status=pending 只列待审批的。 / The plaza's requisitions; status=pending lists "
                     "those to approve.")
    async def requisitions(
        self, plaza: FromPath[str], runtime: Runtime,
        status: Literal["pending", "approved", "rejected"] | None = Parameter(query="status", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            return Page(items=await warehouse.list_requisitions(conn, plaza, status))

    @post("/requisitions/{requisition_id:str}/approve", status_code=200, summary="审批领用 / Approve a requisition",
          description="主管审批：逐行出库并记入库存变动；申请人本人审批 403，库存不足 409。 / The supervisor approves: "
                      "each line leaves the stock, audited. The asker approving their own 403, too little on hand 409.")
    async def approve_requisition(self, plaza: FromPath[str], requisition_id: FromPath[str], runtime: Runtime,
                                  actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        async with runtime.transaction() as tx:
            return await warehouse.decide_requisition(tx, plaza, requisition_id, _who(actor, command_id), sla.now(),
                                                      approve=True)

    @post("/requisitions/{requisition_id:str}/reject", status_code=200, summary="驳回领用 / Reject a requisition",
          description="驳回，库存不变。 / Rejected: nothing leaves the stock.")
    async def reject_requisition(self, plaza: FromPath[str], requisition_id: FromPath[str], runtime: Runtime,
                                 actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        async with runtime.transaction() as tx:
            return await warehouse.decide_requisition(tx, plaza, requisition_id, _who(actor, command_id), sla.now(),
                                                      approve=False)

    @post("/stocktakes", status_code=201, summary="生成盘点表 / Open a stocktake",
          description="为某日生成盘点表：每种物料及其账面数量，待填实盘数量。 / The sheet for a day: every item with the "
                      "level expected on hand, to be counted.")
    async def open_stocktake(self, plaza: FromPath[str], data: warehouse.StocktakeCreate, runtime: Runtime,
                             actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return sheet_view(await warehouse.open_stocktake(tx, plaza, data, _who(actor, command_id), sla.now()))

    @get("/stocktakes/{stocktake_id:str}", summary="盘点表 / A stocktake",
         description="盘点表：账面、实盘、差异及差异金额（按平均成本）；format=xlsx 导出 Excel（lang=en 英文表头）。 / "
                     "The sheet: expected, counted, variance and its value at average cost; format=xlsx for Excel "
                     "(lang=en for English headers).")
    async def stocktake(self, plaza: FromPath[str], stocktake_id: FromPath[str], runtime: Runtime,
                        format: str = Parameter(query="format", default="json"),
                        lang: str = Parameter(query="lang", default="zh")) -> Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        async with runtime.read() as conn:
            view = sheet_view(await warehouse.get_stocktake(conn, plaza, stocktake_id))
        if format == "xlsx":
            return await export.report_response(_stocktake_sheets(view), lang, f"stocktake-{plaza}-{view['day']}")
        return Response(view)

    @put("/stocktakes/{stocktake_id:str}/counts", summary="填写实盘数量 / Record counts",
         description="填写（或改正）实盘数量 {counts: [{sku, counted}]}；仅未提交的盘点表。 / Records (or corrects) "
                     "counted quantities; only while the sheet is open.")
    async def counts(self, plaza: FromPath[str], stocktake_id: FromPath[str], data: warehouse.CountsUpdate,
                     runtime: Runtime) -> dict:
        async with runtime.transaction() as tx:
            return sheet_view(await warehouse.count(tx, plaza, stocktake_id, data))

    @post("/stocktakes/{stocktake_id:str}/submit", status_code=200, summary="提交盘点 / Submit a stocktake",
          description="全部物料已盘点后提交，差异待第二人审批；未盘完 422。 / Once every item is counted: the variance "
                      "waits for a second person. Items not counted: 422.")
    async def submit(self, plaza: FromPath[str], stocktake_id: FromPath[str], runtime: Runtime,
                     actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        async with runtime.transaction() as tx:
            return sheet_view(await warehouse.submit(tx, plaza, stocktake_id, _who(actor, command_id), sla.now()))

    @post("/stocktakes/{stocktake_id:str}/approve", status_code=200, summary="审批盘点差异 / Approve a stocktake",
          description="第二人审批（四眼原则）：各物料按差异调整库存并记入变动。提交人本人审批 403。 / A second person "
                      "approves (four eyes): each item's level moves by its variance, audited. The submitter: 403.")
    async def approve_stocktake(self, plaza: FromPath[str], stocktake_id: FromPath[str], runtime: Runtime,
                                actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        async with runtime.transaction() as tx:
            return sheet_view(await warehouse.decide_stocktake(tx, plaza, stocktake_id, _who(actor, command_id),
                                                               sla.now(), approve=True))

    @post("/stocktakes/{stocktake_id:str}/reject", status_code=200, summary="驳回盘点 / Reject a stocktake",
          description="驳回，库存不变。 / Rejected: no level moves.")
    async def reject_stocktake(self, plaza: FromPath[str], stocktake_id: FromPath[str], runtime: Runtime,
                               actor: str = ACTOR, command_id: str | None = COMMAND_ID) -> dict:
        async with runtime.transaction() as tx:
            return sheet_view(await warehouse.decide_stocktake(tx, plaza, stocktake_id, _who(actor, command_id),
                                                               sla.now(), approve=False))

    @get("/stock-value", summary="库存金额 / Stock value",
         description="每种物料的结存、平均成本和金额及合计；format=xlsx 导出 Excel。 / Each item's level, average cost "
                     "and value, and the total; format=xlsx for Excel.")
    async def value(self, plaza: FromPath[str], runtime: Runtime,
                    format: str = Parameter(query="format", default="json"),
                    lang: str = Parameter(query="lang", default="zh")) -> Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        async with runtime.read() as conn:
            items = await warehouse.stock_value(conn, plaza)
        if format == "xlsx":
            sheets = [export.Sheet("库存金额", "stock value", VALUE_COLUMNS, items,
                                   export.Chart("bar", "库存金额", "stock value", "sku", ["value_fen"]))]
            return await export.report_response(sheets, lang, f"stock-value-{plaza}")
        return Response({"items": items, "total_fen": sum(i["value_fen"] for i in items)})

    @get("/stock-movements", summary="库存变动报表 / Stock movements",
         description="一段时间内（from、to 为 UTC 日期，含首不含尾）所有物料的变动：入库、领用、工单出库、盘点、调整；"
                     "format=xlsx 导出 Excel。 / Every item's movements over a period (from, to as UTC dates, to "
                     "exclusive): receipts, requisitions, issues to jobs, stocktakes, adjustments; format=xlsx for Excel.")
    async def movements(self, plaza: FromPath[str], runtime: Runtime,
                        from_day: dt.date | None = Parameter(query="from", default=None),
                        to_day: dt.date | None = Parameter(query="to", default=None),
                        format: str = Parameter(query="format", default="json"),
                        lang: str = Parameter(query="lang", default="zh")) -> Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        start, end = (_utc(d) for d in (from_day, to_day))
        async with runtime.read() as conn:
            rows = await warehouse.movements(conn, plaza, start, end)
        if format == "xlsx":
            return await export.report_response([export.Sheet("库存变动", "movements", MOVEMENT_COLUMNS, rows)], lang,
                                                f"stock-movements-{plaza}")
        return Response({"items": rows})


def _utc(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), dt.timezone.utc)
