"""Work orders over HTTP, and each department's queue of them: a body in, the use case,
the work order it returns out."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal
from libs.runtime.errors import NotFound
from services.dispatch.roster import services as roster
from services.dispatch.sla import services as sla
from services.dispatch.work_orders import domain, export
from services.dispatch.work_orders import services as work_orders
from services.dispatch.work_orders.domain import EscalationCreate, WorkOrderAssign, WorkOrderCancel, WorkOrderResolve
from services.dispatch.work_orders.export import WorkOrderView


async def _act(runtime: Runtime, plaza: str, work_order_id: str, use_case, *args) -> WorkOrderView:
    """One lifecycle action: its use case in one transaction; the answer is the work order
    the use case returned."""
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        wo = await use_case(tx, plaza, work_order_id, *args)
    return export.view(wo, sla.now())


def _own(principal: Principal | None, wo: work_orders.WorkOrder) -> work_orders.WorkOrder:
    """Another department's work order is not found, as one that does not exist."""
    row = wo.row
    only = export.department_of(principal, row["plaza_id"])
    if only is not None and row["department"] != only:
        raise NotFound(f"work order {row['id']!r} not found in plaza {row['plaza_id']!r}", field="id")
    return wo


class AssigneeView(msgspec.Struct, kw_only=True):
    username: str
    name: str | None
    on_shift: bool
    post: str | None = None
    shift_ends_at: str | None = None


class AssigneesPage(msgspec.Struct, kw_only=True):
    items: list[AssigneeView]
    next: str | None = None
    roster: bool = False  # the department's roster covers now: only people on shift are offered


COMMAND_ID = Parameter(header="X-Request-Id", default=None)

ASSIGN_EXAMPLE = Example(summary="派给维修工王师傅 / To the fitter Wang", value={"assignee": "wang-shifu"})
RESOLVE_EXAMPLE = Example(
    summary="有偿维修：人工加一件库存物料 / Paid: labour and one item from stock",
    value={"paid": True, "labour_fen": 5000, "materials": [{"sku": "PPR-20", "quantity": 2}], "note": "换了一段水管 / pipe replaced"},
)
CANCEL_EXAMPLE = Example(summary="业主撤回 / Withdrawn by the occupant", value={"reason": "业主已自行修好 / fixed by the occupant"})
ESCALATE_EXAMPLE = Example(
    summary="超出权限，交主管 / Beyond the clerk's authority, to the supervisor",
    value={"reason": "需要更换整套管线，费用超出授权 / the whole pipe run must go, beyond the clerk's limit", "level": "supervisor"},
)


class WorkOrderController(Controller):
    path = "/v1/plazas/{plaza:str}/work-orders"

    @get(
        "/",
        summary="工单列表 / List work orders",
        description="广场的工单，可按来电编号、状态、部门、单元或公共区域筛选，按编号分页；open=true 只列未完结的"
        "（created、assigned、in_progress、resolved），open=false 只列已关闭或已撤销的。\n\n"
        "The plaza's work orders, filtered by request, status, department, unit or public area, a page at a "
        "time; open=true lists those still being worked on (created, assigned, in_progress, resolved) in one "
        "call, open=false the closed and cancelled.",
    )
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        request_id: str | None = None,
        status: domain.Status | None = None,
        department: str | None = None,
        unit: str | None = None,
        area: str | None = None,
        open: bool | None = None,  # noqa: A002 (the query parameter's name)
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
        principal: Principal | None = PRINCIPAL,
    ) -> Page:
        if (own := export.department_of(principal, plaza)) is not None:
            if department not in (None, own):
                return Page(items=[], next=None)
            department = own
        async with runtime.read() as conn:
            orders = await work_orders.list_work_orders(
                conn, plaza, request_id=request_id, status=status, department=department,
                unit=unit, area=area, open_=open, after=cursor, limit=limit,
            )
        items = export.views(orders)
        return Page.of(items, limit)

    @get(
        "/{work_order_id:str}",
        summary="查看工单 / Show a work order",
        description="工单及其收费明细、时限（各轮）和升级记录。\n\n"
        "A work order with its charge lines, its deadlines (every round) and its escalations.",
    )
    async def show(self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL) -> WorkOrderView:
        async with runtime.read() as conn:
            wo = _own(principal, await work_orders.show_work_order(conn, plaza, work_order_id))
        return export.view(wo, sla.now())

    @get(
        "/{work_order_id:str}/assignees",
        summary="可派人员 / Whom the job may go to",
        description="本部门当前可接单的人：部门排班覆盖此刻时只列在班的人（及其班次结束时间），"
        "否则（部门不排班，或两班之间）列出部门全部在职人员。\n\n"
        "Whom the job may be given to now: while its department's roster covers this moment, "
        "the people on shift (with their post and when the shift ends; `roster` true), else "
        "every active person of the department (`on_shift` false). Assigning anyone else is 422.",
    )
    async def assignees(self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
                        principal: Principal | None = PRINCIPAL) -> AssigneesPage:
        async with runtime.read() as conn:
            wo = _own(principal, await work_orders.show_work_order(conn, plaza, work_order_id))
            found, rostered = await roster.assignees(conn, plaza, wo.row["department"], sla.now())
        return AssigneesPage(items=[AssigneeView(
            username=a.username, name=a.name, on_shift=a.on_shift, post=a.post, shift_ends_at=iso(a.shift_ends_at),
        ) for a in found], roster=rostered)

    @post(
        "/{work_order_id:str}/assign",
        status_code=200,
        summary="派工 / Assign",
        description="派给一名维修人员（也可改派，进行中的工单保持进行中）；首次派工满足响应时限。\n\n"
        "Gives the job to someone (or to someone else: a job in progress stays in progress); the "
        "first assignment meets the respond deadline. The department is not changed here: a "
        "`department` field is 422; `/reroute` moves a job.",
    )
    async def assign(
        self, plaza: FromPath[str], work_order_id: FromPath[str],
        data: Annotated[WorkOrderAssign, Body(examples=[ASSIGN_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.assign_work_order, data, export.command(actor, command_id, principal, plaza))

    @post(
        "/{work_order_id:str}/start",
        status_code=200,
        summary="开工 / Start",
        description="维修人员到场开工；满足到场时限。无请求体。\n\n"
        "The assignee is on site and starts; meets the on-site deadline. No request body.",
    )
    async def start(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.start_work_order, export.command(actor, command_id, principal, plaza))

    @post(
        "/{work_order_id:str}/resolve",
        status_code=200,
        summary="完工 / Resolve",
        description="记录完工：是否有偿、人工费、物料（带 sku 的从库存领用，同一事务）；有偿时生成收费明细。满足完成时限（投诉在关单时满足）。\n\n"
        "Records the work done: paid or not, labour, materials (a line with a sku is taken from "
        "stock in the same transaction); a paid job gets its charge lines. Meets the resolve deadline "
        "(a complaint's is met by its close).",
    )
    async def resolve(
        self, plaza: FromPath[str], work_order_id: FromPath[str],
        data: Annotated[WorkOrderResolve, Body(examples=[RESOLVE_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.resolve_work_order, data, export.command(actor, command_id, principal, plaza))

    @post(
        "/{work_order_id:str}/close",
        status_code=200,
        summary="关单 / Close",
        description="关闭已完工的工单；WorkOrderClosed 携带工单历来的全部收费明细，回访随之安排。无请求体。\n\n"
        "Closes a resolved job; WorkOrderClosed carries every charge line the job ever had, and "
        "its return visit follows. No request body.",
    )
    async def close(
        self, plaza: FromPath[str], work_order_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.close_work_order, export.command(actor, command_id, principal, plaza))

    @post(
        "/{work_order_id:str}/cancel",
        status_code=200,
        summary="撤单 / Cancel",
        description="说明原因撤销未关闭的工单；未到的时限随之作废，不再升级。\n\n"
        "Calls off a job not yet closed, with a reason; its running deadlines stop, so nothing escalates later.",
    )
    async def cancel(
        self, plaza: FromPath[str], work_order_id: FromPath[str],
        data: Annotated[WorkOrderCancel, Body(examples=[CANCEL_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.cancel_work_order, data, export.command(actor, command_id, principal, plaza))

    @post(
        "/{work_order_id:str}/escalate",
        status_code=200,
        summary="升级 / Escalate",
        description="超出权限：经办人把工单交给主管或经理决定。\n\n"
        "Exceeding authority (超出权限): a clerk hands the job to the supervisor or manager.",
    )
    async def escalate(
        self, plaza: FromPath[str], work_order_id: FromPath[str],
        data: Annotated[EscalationCreate, Body(examples=[ESCALATE_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = COMMAND_ID, principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        return await _act(runtime, plaza, work_order_id, work_orders.escalate_work_order, data, export.command(actor, command_id, principal, plaza))


class DepartmentQueueController(Controller):
    path = "/v1/plazas/{plaza:str}/departments/{department:str}/queue"

    @get(
        "/",
        summary="部门待办 / A department's queue",
        description="部门未完成的工单，最紧迫的时限在前。\n\nThe department's open work orders, the most pressing deadline first.",
    )
    async def queue(self, plaza: FromPath[str], department: FromPath[str], runtime: Runtime,
                    principal: Principal | None = PRINCIPAL) -> Page:
        if export.department_of(principal, plaza) not in (None, department):
            return Page(items=[], next=None)  # department staff: their own queue only
        async with runtime.read() as conn:
            items = export.views(await work_orders.department_queue(conn, plaza, department))
        items.sort(key=lambda v: (v.next_due_at is None, v.next_due_at or "", v.created_at))
        return Page(items=items, next=None)
