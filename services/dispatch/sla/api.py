"""The plaza's SLA policy over HTTP: business calendar and allowances per class of work."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.dispatch.sla import domain
from services.dispatch.sla import services as sla
from services.dispatch.sla.services import SlaPolicyShown

POLICY_EXAMPLE = Example(
    summary="周一至周五 9:00–18:00，普通工单 2 小时响应 / Weekdays 9–18, a normal job answered in 2 hours",
    value={
        "calendar": {"timezone": "Asia/Shanghai", "opens": "09:00", "closes": "18:00",
                     "working_days": [1, 2, 3, 4, 5], "closed_dates": ["2026-10-01"]},
        "targets": {"normal": {"respond": {"minutes": 120, "business": True},
                               "resolve": {"minutes": 1440, "business": True}}},
        "manager_grace_factor": 0.5,
        "reopen_factor": 0.5,
    },
)


class SlaPolicyController(Controller):
    path = "/v1/plazas/{plaza:str}/sla-policy"

    @get(
        "/",
        summary="查看时限策略 / Show the SLA policy",
        description="广场的工作日历与各类工单的响应、到场、完成时限；未设置时显示默认值（defaults 为 true）。\n\n"
        "The plaza's business calendar and the respond, on-site and resolve allowances per class "
        "of work; the defaults (defaults: true) while it has none.",
    )
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> SlaPolicyShown:
        async with runtime.read() as conn:
            return await sla.show_policy(conn, plaza)

    @put(
        "/",
        summary="替换时限策略 / Replace the SLA policy",
        description="只影响此后开出的工单，已给出的时限不变；未列出的类别保持默认。\n\n"
        "Applies to work orders opened from now on; deadlines already given stay. Classes left "
        "out keep their defaults.",
    )
    async def replace(
        self, plaza: FromPath[str], data: Annotated[domain.SlaPolicy, Body(examples=[POLICY_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> SlaPolicyShown:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            shown = await sla.replace_policy(tx, plaza, data, actor)
        sla.forget_policy(tx.conn, plaza)  # again after commit: no reader cached the old
        return shown
