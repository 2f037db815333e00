"""The plaza's stock (仓库物料) over HTTP: items, levels, adjustments (asked by one person,
approved or rejected by a second) and their audit list."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts import new_event_id
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.dispatch.sla import services as sla
from services.dispatch.stock import services as stock
from services.dispatch.stock import store
from services.dispatch.stock.services import StockAdjustmentCreate, StockItemUpdate, Who


class StockItemView(msgspec.Struct, kw_only=True):
    sku: str
    name: str
    unit_price_fen: int
    quantity: int
    low_level: int
    low: bool
    updated_at: str


class MovementView(msgspec.Struct, kw_only=True):
    id: str
    sku: str
    kind: str  # set, issue, adjustment
    delta: int
    quantity_after: int
    reason: str | None
    work_order_id: str | None
    actor: str
    occurred_at: str
    approved_by: str | None = None


class AdjustmentView(msgspec.Struct, kw_only=True):
    id: str
    sku: str
    delta: int
    reason: str
    status: str  # pending, approved, rejected
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    quantity: int  # the item's level now (after an approval, the adjusted level)


def _item(r: dict) -> StockItemView:
    return StockItemView(
        sku=r["sku"], name=r["name"], unit_price_fen=r["unit_price_fen"], quantity=r["quantity"],
        low_level=r["low_level"], low=r["quantity"] <= r["low_level"], updated_at=iso(r["updated_at"]),
    )


def _movement(r: dict) -> MovementView:
    return MovementView(**{k: r[k] for k in MovementView.__struct_fields__ if k != "occurred_at"}, occurred_at=iso(r["occurred_at"]))


def _adjustment(r: dict, quantity: int) -> AdjustmentView:
    return AdjustmentView(
        id=r["id"], sku=r["sku"], delta=r["delta"], reason=r["reason"], status=r["status"],
        requested_by=r["requested_by"], requested_at=iso(r["requested_at"]), decided_by=r["decided_by"],
        decided_at=iso(r["decided_at"]), quantity=quantity,
    )


def _who(actor: str, command_id: str | None) -> Who:
    command_id = command_id or new_event_id()
    return Who(actor=actor, command_id=command_id, correlation_id=command_id)


COMMAND_ID = Parameter(header="X-Request-Id", default=None)
CURSOR = Parameter(query="cursor", default=None)
LIMIT = Parameter(query="limit", default=50, ge=1, le=500)

ITEM_EXAMPLE = Example(
    summary="登记 PPR 水管 20mm / Register 20 mm PPR pipe",
    value={"name": "PPR 水管 20mm", "unit_price_fen": 1500, "quantity": 40, "low_level": 10},
)
ADJUSTMENT_EXAMPLE = Example(
    summary="盘点少了 2 根 / Two fewer counted at stocktaking",
    value={"delta": -2, "reason": "盘点短缺 / stocktaking shortfall"},
)


class StockController(Controller):
    path = "/v1/plazas/{plaza:str}/stock"

    @get(
        "/",
        summary="库存列表 / List the stock",
        description="广场仓库的物料及其库存、低库存线（按 sku 排序，分页）。\n\n"
        "The plaza's stock items with their levels and low-stock lines, by sku, a page at a time.",
    )
    async def index(self, plaza: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        async with runtime.read() as conn:
            items = [_item(r) for r in await store.list_items(conn, plaza, after=cursor, limit=limit)]
        return Page.of(items, limit, "sku")

    @get(
        "/{sku:str}",
        summary="查看物料 / Show a stock item",
        description="一种物料的库存；low 表示已到低库存线。\n\nOne item's level; low when it is at or below its line.",
    )
    async def show(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime) -> StockItemView:
        async with runtime.read() as conn:
            return _item(await _found(conn, plaza, sku))

    @put(
        "/{sku:str}",
        summary="登记或设置物料 / Register an item or set its level",
        description="登记新物料，或设置库存（到货、调价），记为一次 set 变动；越过低库存线时发出 StockLow。\n\n"
        "Registers an item or sets its level (goods received, a new price), audited as a 'set' "
        "movement; crossing the low line announces StockLow.",
    )
    async def put_item(
        self, plaza: FromPath[str], sku: FromPath[str], data: Annotated[StockItemUpdate, Body(examples=[ITEM_EXAMPLE])],
        runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> StockItemView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return _item(await stock.put_item(tx, plaza, sku, data, _who(actor, command_id), sla.now()))

    @post(
        "/{sku:str}/adjustments",
        status_code=201,
        summary="申请盘点调整 / Ask for a stocktaking adjustment",
        description="盘点差额连同原因提交为待审批的调整（四眼原则：须由另一人审批后才改变库存）；不能调到零以下。\n\n"
        "Stocktaking: the counted difference, with the reason, becomes a pending adjustment (four "
        "eyes: the level changes only once a second person approves it); it cannot take the level "
        "below zero.",
    )
    async def adjust(
        self, plaza: FromPath[str], sku: FromPath[str],
        data: Annotated[StockAdjustmentCreate, Body(examples=[ADJUSTMENT_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> AdjustmentView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            row = await stock.request_adjustment(tx, plaza, sku, data, _who(actor, command_id), sla.now())
            return _adjustment(row, (await _found(tx.conn, plaza, sku))["quantity"])

    @post(
        "/{sku:str}/adjustments/{adjustment_id:str}/approve",
        status_code=200,
        summary="审批盘点调整 / Approve an adjustment",
        description="第二人审批待定的调整：库存随之改变，记入审计列表（申请人与审批人），越过低库存线时发出 StockLow。"
        "申请人本人审批 403（四眼原则）；已审批或已驳回 409。\n\n"
        "A second person approves a pending adjustment: the level changes, the audit list records "
        "who asked and who approved, and crossing the low line announces StockLow. The asker "
        "approving their own answers 403 (four eyes); one decided already 409.",
    )
    async def approve(
        self, plaza: FromPath[str], sku: FromPath[str], adjustment_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> AdjustmentView:
        return await _decide(runtime, plaza, sku, adjustment_id, _who(actor, command_id), approve=True)

    @post(
        "/{sku:str}/adjustments/{adjustment_id:str}/reject",
        status_code=200,
        summary="驳回盘点调整 / Reject an adjustment",
        description="驳回待定的调整（申请人也可撤回），库存不变；已审批或已驳回 409。\n\n"
        "Rejects a pending adjustment (the asker may withdraw their own); the level stays. One "
        "decided already answers 409.",
    )
    async def reject(
        self, plaza: FromPath[str], sku: FromPath[str], adjustment_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> AdjustmentView:
        return await _decide(runtime, plaza, sku, adjustment_id, _who(actor, command_id), approve=False)

    @get(
        "/{sku:str}/adjustments",
        summary="盘点调整记录 / List the adjustments",
        description="一种物料已生效的盘点调整（含原因、申请人与审批人），分页。\n\n"
        "One item's applied stocktaking adjustments with their reasons, who asked and who approved, "
        "a page at a time.",
    )
    async def adjustments(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        return await _movements(runtime, plaza, sku, "adjustment", cursor, limit)

    @get(
        "/{sku:str}/movements",
        summary="库存变动记录 / List the movements",
        description="库存的每次变动：设置、领用到工单、盘点调整，分页。\n\n"
        "Every change of the level: set, issued to a work order, adjusted; a page at a time.",
    )
    async def movements(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        return await _movements(runtime, plaza, sku, None, cursor, limit)


class AdjustmentController(Controller):
    path = "/v1/plazas/{plaza:str}/stock-adjustments"

    @get(
        "/",
        summary="待审批的盘点调整 / List adjustments to decide",
        description="广场的盘点调整，按 id 分页；status=pending 只列待审批的。\n\n"
        "The plaza's stocktaking adjustments in id order, a page at a time; status=pending lists "
        "those waiting for a second person.",
    )
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT,
        status: Literal["pending", "approved", "rejected"] | None = Parameter(query="status", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.adjustments(conn, plaza, status=status, after=cursor, limit=limit)
            levels = {sku: (await _found(conn, plaza, sku))["quantity"] for sku in {r["sku"] for r in rows}}
        return Page.of([_adjustment(r, levels[r["sku"]]) for r in rows], limit)


async def _decide(runtime: Runtime, plaza: str, sku: str, adjustment_id: str, who: Who, *, approve: bool) -> AdjustmentView:
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        row, item = await stock.decide_adjustment(tx, plaza, sku, adjustment_id, who, sla.now(), approve=approve)
    return _adjustment(row, item["quantity"])


async def _found(conn, plaza: str, sku: str) -> dict:
    item = await store.get_item(conn, plaza, sku)
    if item is None:
        raise NotFound(f"sku {sku!r} is not in plaza {plaza!r}'s stock", field="sku")
    return item


async def _movements(runtime: Runtime, plaza: str, sku: str, kind: str | None, cursor: str | None, limit: int) -> Page:
    async with runtime.read() as conn:
        await _found(conn, plaza, sku)
        rows = await store.movements(conn, plaza, sku, kind=kind, after=cursor, limit=limit)
    items = [_movement(r) for r in rows]
    return Page.of(items, limit)
