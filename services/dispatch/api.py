"""Dispatch's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.contracts import new_event_id
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.dispatch import domain, domain_sla, services, services_routing, store, store_sla
from services.dispatch.services import Command, WorkOrderAssign, WorkOrderCancel, WorkOrderResolve
from services.dispatch.services_routing import RoutingRulesUpdate
from services.dispatch.services_sla import EscalationCreate


class ChargeLineView(msgspec.Struct, kw_only=True):
    line_id: str
    kind: str
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class DeadlineView(msgspec.Struct, kw_only=True):
    name: str
    round: int
    due_at: str
    manager_at: str
    met_at: str | None
    state: str  # running, breached, met, met_late, void
    escalated: str | None


class EscalationView(msgspec.Struct, kw_only=True):
    level: str
    cause: str
    reason: str
    actor: str
    occurred_at: str


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
    original_department: str
    category: str | None
    sla_class: str
    warranty: bool
    responsible_party: str | None
    cancel_reason: str | None
    first_responded_at: str | None
    respond_due_at: str | None
    on_site_due_at: str | None
    resolve_due_at: str | None
    next_due_at: str | None
    deadlines: list[DeadlineView]
    escalations: list[EscalationView] = []


class RoutingRuleView(msgspec.Struct, kw_only=True):
    position: int
    keyword: str
    department: str


class RoutingTable(msgspec.Struct, kw_only=True):
    items: list[RoutingRuleView]
    next: str | None = None
    # True while the plaza has no table of its own and the default rules apply.
    defaults: bool


def _deadline(d: dict, now) -> DeadlineView:
    return DeadlineView(
        name=d["name"], round=d["round"], due_at=iso(d["due_at"]), manager_at=iso(d["manager_at"]),
        met_at=iso(d["met_at"]), state=domain_sla.deadline_state(d["due_at"], d["met_at"], d["voided"], now),
        escalated=d["escalated"],
    )


def _view(row, lines: list[dict], deadlines: list[dict], escalations: list[dict] | None = None) -> WorkOrderView:
    now = services.now()
    due = domain_sla.current_due(deadlines)
    return WorkOrderView(
        id=row["id"], plaza_id=row["plaza_id"], request_id=row["request_id"], unit=row["unit"],
        department=row["department"], status=row["status"], reopen_count=row["reopen_count"],
        assignee=row["assignee"], kind=row["kind"], priority=row["priority"], text=row["text"],
        major=row["major"], paid=row["paid"], labour_fen=row["labour_fen"],
        materials=list(row["materials"] or []), note=row["note"],
        charge_lines=[msgspec.convert(line, ChargeLineView) for line in lines],
        last_rating=row["last_rating"], allowed_actions=domain.allowed_actions(row["status"]),
        created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]), closed_at=iso(row["closed_at"]),
        original_department=row["original_department"], category=row["category"], sla_class=row["sla_class"],
        warranty=row["warranty"], responsible_party=row["responsible_party"], cancel_reason=row["cancel_reason"],
        first_responded_at=iso(row["first_responded_at"]),
        respond_due_at=iso(due.get("respond")), on_site_due_at=iso(due.get("on_site")),
        resolve_due_at=iso(due.get("resolve")), next_due_at=iso(domain_sla.next_due(deadlines)),
        deadlines=[_deadline(d, now) for d in deadlines],
        escalations=[EscalationView(
            level=e["level"], cause=e["cause"], reason=e["reason"], actor=e["actor"], occurred_at=iso(e["occurred_at"]),
        ) for e in escalations or []],
    )


async def views(conn, plaza: str, rows) -> list[WorkOrderView]:
    ids = [r["id"] for r in rows]
    lines = await store.charge_lines_of(conn, plaza, ids)
    deadlines = await store_sla.deadlines_of(conn, plaza, ids)
    return [_view(r, lines[r["id"]], deadlines[r["id"]]) for r in rows]


async def _act(runtime: Runtime, plaza: str, work_order_id: str, use_case, *args) -> "WorkOrderView":
    """One lifecycle action: its use case in one transaction, then the work order as it is now."""
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        await use_case(tx, plaza, work_order_id, *args)
    return await _show(runtime, plaza, work_order_id)


async def _show(runtime: Runtime, plaza: str, work_order_id: str) -> WorkOrderView:
    async with runtime.read() as conn:
        row = await store.get_work_order(conn, plaza, work_order_id)
        if row is None:
            raise NotFound(f"work order {work_order_id!r} not found in plaza {plaza!r}", field="id")
        lines = await store.charge_lines_of(conn, plaza, [work_order_id])
        deadlines = await store_sla.deadlines_of(conn, plaza, [work_order_id])
        escalations = await store_sla.escalations_of(conn, plaza, work_order_id)
    return _view(row, lines[work_order_id], deadlines[work_order_id], escalations)


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
            items = await views(conn, plaza, rows)
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/{work_order_id:str}")
    async def show(self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime) -> WorkOrderView:
        return await _show(runtime, plaza, work_order_id)

    @post("/{work_order_id:str}/assign", status_code=200)
    async def assign(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: WorkOrderAssign, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, services.assign_work_order, data, _command(actor, command_id))

    @post("/{work_order_id:str}/start", status_code=200)
    async def start(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, services.start_work_order, _command(actor, command_id))

    @post("/{work_order_id:str}/resolve", status_code=200)
    async def resolve(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: WorkOrderResolve, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, services.resolve_work_order, data, _command(actor, command_id))

    @post("/{work_order_id:str}/close", status_code=200)
    async def close(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, services.close_work_order, _command(actor, command_id))

    @post("/{work_order_id:str}/cancel", status_code=200)
    async def cancel(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: WorkOrderCancel, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, services.cancel_work_order, data, _command(actor, command_id))

    @post("/{work_order_id:str}/escalate", status_code=200)
    async def escalate(
        self, plaza: FromPath[str], work_order_id: FromPath[str], data: EscalationCreate, runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID,
    ) -> WorkOrderView:
        """Exceeding authority (超出权限): a clerk hands the job to the supervisor or manager."""
        return await _act(runtime, plaza, work_order_id, services.escalate_work_order, data, _command(actor, command_id))


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
            await services_routing.replace_routing_rules(tx, plaza, data)
            rows = await store.get_routing_rules(tx.conn, plaza)
        services_routing.forget_rules(tx.conn, plaza)  # again after commit: no reader cached the old
        return _table(rows)


def _table(rows: list[dict]) -> RoutingTable:
    if rows:
        return RoutingTable(items=[RoutingRuleView(**r) for r in rows], defaults=False)
    defaults = [
        RoutingRuleView(position=i, keyword=r.keyword, department=r.department)
        for i, r in enumerate(domain.DEFAULT_RULES, start=1)
    ]
    return RoutingTable(items=defaults, defaults=True)
