"""Re-routing a work order over HTTP: the body in, the use case, the work order out (as the
work-order routes answer)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.auth import ACTOR, PRINCIPAL, Principal
from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.dispatch.corrections import services as corrections
from services.dispatch.corrections.domain import WorkOrderReroute
from services.dispatch.sla import services as sla
from services.dispatch.work_orders import export
from services.dispatch.work_orders.export import WorkOrderView

REROUTE_EXAMPLE = Example(
    summary="电梯困人转电梯维保单位 / A stuck lift goes to the lift contractor",
    value={"department": "lift_vendor", "reason": "电梯由维保单位负责 / lifts are the contractor's"},
)


class RerouteController(Controller):
    path = "/v1/plazas/{plaza:str}/work-orders"

    @post(
        "/{work_order_id:str}/reroute",
        status_code=200,
        summary="改派部门 / Re-route to another department",
        description="说明原因把未完成的工单转给另一个部门：离开原部门的待办、进入新部门的待办，经办人清空，状态回到已创建；"
        "时限照旧。已完工、已关闭或已撤销的工单为 409。\n\n"
        "Sends a job still to be done to another department, with a reason: it leaves the old "
        "department's queue and enters the new one's, nobody holds it and it is created again; "
        "its deadlines keep running. A resolved, closed or cancelled job is 409.",
    )
    async def reroute(
        self, plaza: FromPath[str], work_order_id: FromPath[str],
        data: Annotated[WorkOrderReroute, Body(examples=[REROUTE_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, command_id: str | None = Parameter(header="X-Request-Id", default=None),
        principal: Principal | None = PRINCIPAL,
    ) -> WorkOrderView:
        plaza_token(plaza)
        cmd = export.command(actor, command_id, principal, plaza)
        async with runtime.transaction() as tx:
            wo = await corrections.reroute_work_order(tx, plaza, work_order_id, data, cmd)
        return export.view(wo, sla.now())
