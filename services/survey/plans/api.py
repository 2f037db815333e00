"""Key-account visit plan routes: generate, list, show with completion figures, approve,
record each visit's outcome."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.survey.plans import services as plans
from services.survey.plans.services import OutcomeCreate, PlanCreate, PlanView

PLAN_EXAMPLE = Example(summary="2026 年 12 月的计划 / The plan for December 2026", value={"month": "2026-12"})
OUTCOME_EXAMPLE = Example(
    summary="已回访，业户满意 / Visited, the occupant is satisfied",
    value={"outcome": "completed", "rating": "satisfied", "note": "店长反映空调已正常"},
)

class PlanController(Controller):
    path = "/v1/plazas/{plaza:str}/key-account-plans"

    @post(
        "/", status_code=201,
        summary="生成重点客户回访计划 / Draft a key-account plan",
        description="为该月每个重点客户单元安排一次回访，均匀分布在当月各天，状态为草稿；每小时的任务也会为各广场的当月自动生成。同月已有计划 409。\n\n"
        "Drafts one visit for every key-account unit, spread over the month's days; the hourly "
        "job does the same for each plaza's current month. A month that has its plan answers 409.",
    )
    async def generate(
        self, plaza: FromPath[str], data: Annotated[PlanCreate, Body(examples=[PLAN_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await plans.generate_plan(tx, plaza, data, actor=actor)

    @get(
        "/",
        summary="计划列表 / List key-account plans",
        description="广场的重点客户回访计划，按 id 分页，可按月份筛选。\n\n"
        "The plaza's key-account plans in id order, a page at a time; filter by month.",
    )
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await plans.list_plans(conn, plaza, month=month, after=cursor, limit=limit)
        return Page.of(items, limit)

    @get(
        "/{plan_id:str}",
        summary="查看计划 / Show a key-account plan",
        description="计划的每次回访（单元、业户、日期、结果）与完成情况（计划完成率）。\n\n"
        "The plan's visits (unit, occupant, day, outcome) and its completion figures (completion "
        "rate).",
    )
    async def show(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime) -> PlanView:
        async with runtime.read() as conn:
            return await plans.show_plan(conn, plaza, plan_id)

    @post(
        "/{plan_id:str}/approve", status_code=200,
        summary="审批计划 / Approve a plan",
        description="主管审批草稿计划（调用者记为审批人）；起草人不能审批自己的计划（四眼原则，403）；非草稿 409。\n\n"
        "A supervisor approves a draft plan (the caller is recorded as the approver); whoever drafted "
        "it cannot approve it (four eyes, 403); a plan not in draft answers 409.",
    )
    async def approve(
        self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await plans.approve_plan(tx, plaza, plan_id, actor=actor)

    @post(
        "/{plan_id:str}/visits/{unit:str}/outcome", status_code=200,
        summary="登记计划回访结果 / Record a planned visit's outcome",
        description="登记计划中一次回访的结果（completed、not_reached、declined）；仅限已审批的计划，已登记 409。全部登记后计划完成。\n\n"
        "Records the outcome of one planned visit (completed, not_reached, declined), on an "
        "approved plan only; one already recorded answers 409. The plan is completed when every "
        "visit has its outcome.",
    )
    async def outcome(
        self, plaza: FromPath[str], plan_id: FromPath[str], unit: FromPath[str],
        data: Annotated[OutcomeCreate, Body(examples=[OUTCOME_EXAMPLE])],
        runtime: Runtime, actor: str = ACTOR,
    ) -> PlanView:
        plaza_token(plaza)
        validate_token(unit, "unit")
        async with runtime.transaction() as tx:
            return await plans.record_outcome(tx, plaza, plan_id, unit, data, actor=actor)
