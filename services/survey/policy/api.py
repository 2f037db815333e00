"""The plaza survey policy's routes: show it, replace it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.survey.policy import services as policy
from services.survey.policy.services import Policy, PolicyUpdate

POLICY_EXAMPLE = Example(
    summary="48 小时内回访，疲劳期 14 天 / Visits due in 48 hours, a 14-day fatigue window",
    value={
        "window_hours": 48, "fatigue_days": 14, "link_ttl_hours": 72,
        "campaign": {"sample_size": 80, "scale": "five_point", "dimensions": [
            {"code": "cleanliness", "label": "环境卫生 cleanliness", "department": "cleaning"},
            {"code": "repairs", "label": "工程维修 repairs", "department": "engineering"},
        ]},
    },
)

class PolicyController(Controller):
    path = "/v1/plazas/{plaza:str}/survey-policy"

    @get(
        "/",
        summary="查看调查政策 / Show the survey policy",
        description="广场的回访时限、疲劳期、问卷链接有效期和满意度调查的默认问卷；未设置时为默认值。\n\n"
        "The plaza's visit window, fatigue window, survey-link lifetime and its campaigns' default "
        "questionnaire; the defaults until someone sets them.",
    )
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> Policy:
        async with runtime.read() as conn:
            return await policy.effective_policy(conn, plaza, runtime.settings.visit_window_hours)

    @put(
        "/",
        summary="设置调查政策 / Replace the survey policy",
        description="整体替换广场的调查政策，省略的字段取默认值；之后关闭的工单按新的时限和疲劳期安排回访。"
        "疲劳期内（上次电话回访后 fatigue_days 天内）回访改为问卷链接，不免除回访；fatigue_days 为 0 即关闭疲劳期。\n\n"
        "Replaces the plaza's survey policy as a whole, omitted fields taking the defaults; work "
        "orders closed afterwards get their visits under the new window and fatigue window. "
        "Within the fatigue window (fatigue_days after the unit's last visit by call) a visit is made "
        "by survey link instead of a call, never dropped; fatigue_days 0 turns the window off.",
    )
    async def replace(
        self, plaza: FromPath[str], data: Annotated[PolicyUpdate, Body(examples=[POLICY_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> Policy:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            replaced = await policy.put_policy(
                tx, plaza, data, default_window_hours=runtime.settings.visit_window_hours, actor=actor
            )
        # again after commit: no batch that raced it keeps the old
        policy.forget_policy(tx.conn, plaza, runtime.settings.visit_window_hours)
        return replaced
