"""The plaza's stock (仓库物料) over HTTP: items, levels, adjustments and their audit list."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.contracts import new_event_id
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.dispatch import services, services_stock, store_stock
from services.dispatch.services_stock import StockAdjustmentCreate, StockItemUpdate, Who


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


def _item(r: dict) -> StockItemView:
    return StockItemView(
        sku=r["sku"], name=r["name"], unit_price_fen=r["unit_price_fen"], quantity=r["quantity"],
        low_level=r["low_level"], low=r["quantity"] <= r["low_level"], updated_at=iso(r["updated_at"]),
    )


def _movement(r: dict) -> MovementView:
    return MovementView(**{k: r[k] for k in MovementView.__struct_fields__ if k != "occurred_at"}, occurred_at=iso(r["occurred_at"]))


def _who(actor: str, command_id: str | None) -> Who:
    command_id = command_id or new_event_id()
    return Who(actor=actor, command_id=command_id, correlation_id=command_id)


ACTOR = Parameter(header="X-Actor", default="front-desk")
COMMAND_ID = Parameter(header="X-Request-Id", default=None)
CURSOR = Parameter(query="cursor", default=None)
LIMIT = Parameter(query="limit", default=50, ge=1, le=500)


class StockController(Controller):
    path = "/v1/plazas/{plaza:str}/stock"

    @get("/")
    async def index(self, plaza: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        async with runtime.read() as conn:
            items = [_item(r) for r in await store_stock.list_items(conn, plaza, after=cursor, limit=limit)]
        return Page(items=items, next=items[-1].sku if len(items) == limit else None)

    @get("/{sku:str}")
    async def show(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime) -> StockItemView:
        async with runtime.read() as conn:
            return _item(await _found(conn, plaza, sku))

    @put("/{sku:str}")
    async def put_item(
        self, plaza: FromPath[str], sku: FromPath[str], data: StockItemUpdate, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> StockItemView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services_stock.put_item(tx, plaza, sku, data, _who(actor, command_id), services.now())
            return _item(await _found(tx.conn, plaza, sku))

    @post("/{sku:str}/adjustments", status_code=201)
    async def adjust(
        self, plaza: FromPath[str], sku: FromPath[str], data: StockAdjustmentCreate, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> StockItemView:
        """Stocktaking: the counted difference, with the reason, goes on the audit list."""
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return _item(await services_stock.adjust(tx, plaza, sku, data, _who(actor, command_id), services.now()))

    @get("/{sku:str}/adjustments")
    async def adjustments(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        return await _movements(runtime, plaza, sku, "adjustment", cursor, limit)

    @get("/{sku:str}/movements")
    async def movements(self, plaza: FromPath[str], sku: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT) -> Page:
        """Every change of the level: set, issued to a work order, adjusted."""
        return await _movements(runtime, plaza, sku, None, cursor, limit)


async def _found(conn, plaza: str, sku: str) -> dict:
    item = await store_stock.get_item(conn, plaza, sku)
    if item is None:
        raise NotFound(f"sku {sku!r} is not in plaza {plaza!r}'s stock", field="sku")
    return item


async def _movements(runtime: Runtime, plaza: str, sku: str, kind: str | None, cursor: str | None, limit: int) -> Page:
    async with runtime.read() as conn:
        await _found(conn, plaza, sku)
        rows = await store_stock.movements(conn, plaza, sku, kind=kind, after=cursor, limit=limit)
    items = [_movement(r) for r in rows]
    return Page(items=items, next=items[-1].id if len(items) == limit else None)
