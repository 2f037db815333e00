"""Dispatch's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.contracts import new_event_id
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.dispatch import domain, services, store
from services.dispatch.services import Command, RoutingRulesUpdate, WorkOrderAssign, WorkOrderResolve


class ChargeLineView(msgspec.Struct, kw_only=True):
    line_id: str
    kind: str
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class WorkOrderView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    request_id: str
    unit: str
    department: str
    status: str
    reopen_count: int
    assignee: str | None
    kind: str
    priority: str
    text: str
    major: bool
    paid: bool | None
    labour_fen: int
    materials: list[dict]
    note: str | None
    charge_lines: list[ChargeLineView]
    last_rating: str | None
    allowed_actions: list[str]
    created_at: str
    updated_at: str
    closed_at: str | None


class RoutingRuleView(msgspec.Struct, kw_only=True):
    position: int
    keyword: str
    department: str


class RoutingTable(msgspec.Struct, kw_only=True):
    items: list[RoutingRuleView]
    next: str | None = None
    # True while the plaza has no table of its own and the default rules apply.
    defaults: bool


def _view(row, lines: list[dict]) -> WorkOrderView:
    return WorkOrderView(
        id=row["id"], plaza_id=row["plaza_id"], request_id=row["request_id"], unit=row["unit"],
        department=row["department"], status=row["status"], reopen_count=row["reopen_count"],
        assignee=row["assignee"], kind=row["kind"], priority=row["priority"], text=row["text"],
        major=row["major"], paid=row["paid"], labour_fen=row["labour_fen"],
        materials=list(row["materials"] or []), note=row["note"],
        charge_lines=[msgspec.convert(line, ChargeLineView) for line in lines],
        last_rating=row["last_rating"], allowed_actions=domain.allowed_actions(row["status"]),
        created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]), closed_at=iso(row["closed_at"]),
    )


async def _show(runtime: Runtime, plaza: str, work_order_id: str) -> WorkOrderView:
    async with runtime.read() as conn:
        row = await store.get_work_order(conn, plaza, work_order_id)
        if row is None:
            raise NotFound(f"work order {work_order_id!r} not found in plaza {plaza!r}", field="id")
        lines = await store.charge_lines_of(conn, plaza, [work_order_id])
    return _view(row, lines[work_order_id])


def _command(actor: str, command_id: str | None) -> Command:
    return Command(actor=actor, id=command_id or new_event_id())


ACTOR = Parameter(header="X-Actor", default="front-desk")
COMMAND_ID = Parameter(header="X-Request-Id", default=None)


class WorkOrderController(Controller):
    path = "/v1/plazas/{plaza:str}/work-orders"

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        request_id: str | None = None,
        status: domain.Status | None = None,
        department: str | None = None,
        unit: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_work_orders(
                conn, plaza, request_id=request_id, status=status, department=department,
                unit=unit, after=cursor, limit=limit,
            )
            lines = await store.charge_lines_of(conn, plaza, [r["id"] for r in rows])
        items = [_view(r, lines[r["id"]]) for r in rows]
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/{work_order_id:str}")
    async def show(self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime) -> WorkOrderView:
        return await _show(runtime, plaza, work_order_id)

    @post("/{work_order_id:str}/assign", status_code=200)
    async def assign(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: WorkOrderAssign, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.assign_work_order(tx, plaza, work_order_id, data, _command(actor, command_id))
        return await _show(runtime, plaza, work_order_id)

    @post("/{work_order_id:str}/start", status_code=200)
    async def start(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.start_work_order(tx, plaza, work_order_id, _command(actor, command_id))
        return await _show(runtime, plaza, work_order_id)

    @post("/{work_order_id:str}/resolve", status_code=200)
    async def resolve(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: WorkOrderResolve, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.resolve_work_order(tx, plaza, work_order_id, data, _command(actor, command_id))
        return await _show(runtime, plaza, work_order_id)

    @post("/{work_order_id:str}/close", status_code=200)
    async def close(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.close_work_order(tx, plaza, work_order_id, _command(actor, command_id))
        return await _show(runtime, plaza, work_order_id)


class RoutingRulesController(Controller):
    path = "/v1/plazas/{plaza:str}/routing-rules"

    @get("/")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> RoutingTable:
        async with runtime.read() as conn:
            rows = await store.get_routing_rules(conn, plaza)
        return _table(rows)

    @put("/")
    async def replace(self, plaza: FromPath[str], data: RoutingRulesUpdate, runtime: Runtime) -> RoutingTable:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.replace_routing_rules(tx, plaza, data)
            rows = await store.get_routing_rules(tx.conn, plaza)
        return _table(rows)


def _table(rows: list[dict]) -> RoutingTable:
    if rows:
        return RoutingTable(items=[RoutingRuleView(**r) for r in rows], defaults=False)
    defaults = [
        RoutingRuleView(position=i, keyword=r.keyword, department=r.department)
        for i, r in enumerate(domain.DEFAULT_RULES, start=1)
    ]
    return RoutingTable(items=defaults, defaults=True)
