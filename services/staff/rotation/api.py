"""Rotation routes: draft a half-year's plan, adjust a move, approve or reject it.
Translation only."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import FromPath

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.staff.rotation import services as rotation
from services.staff.rotation.services import Decision, MoveUpdate, PlanCreate, PlanView


class RotationController(Controller):
    path = "/v1/plazas/{plaza:str}/rotation-plans"
    tags = ["rotation"]

    @get("/", summary="轮换计划 / Rotation plans")
    async def index(self, plaza: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            return Page(items=await rotation.list_plans(conn, plaza))

    @post("/", summary="拟定轮换计划 / Draft the half-year's rotation plan",
          description="每人换到另一岗位、每个岗位都有人，按履历优先安排做得最少的岗位；缺少的培训先排好培训场次。\n\n"
          "Everyone moves to another post, every post stays staffed, the post each worked least comes first; "
          "a training session is scheduled for each missing course.")
    async def draft(self, plaza: FromPath[str], data: PlanCreate, runtime: Runtime, actor: str = ACTOR) -> PlanView:
        async with runtime.transaction() as tx:
            return await rotation.draft_plan(tx, plaza, data, actor=actor)

    @get("/{plan_id:str}", summary="查看轮换计划 / A rotation plan")
    async def show(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime) -> PlanView:
        async with runtime.read() as conn:
            return await rotation.show(conn, plaza, plan_id)

    @put("/{plan_id:str}/moves/{username:str}", summary="调整轮换 / Adjust a move")
    async def adjust(self, plaza: FromPath[str], plan_id: FromPath[str], username: FromPath[str],
                     data: MoveUpdate, runtime: Runtime, actor: str = ACTOR) -> PlanView:
        async with runtime.transaction() as tx:
            return await rotation.adjust_move(tx, plaza, plan_id, username, data, actor=actor)

    @post("/{plan_id:str}/approve", status_code=200, summary="批准轮换计划 / Approve a rotation plan",
          description="须另一人（非拟定或调整者）批准；每人须已通过新岗位的培训；批准即换岗并记入履历。\n\n"
          "A second person (neither who drafted nor who adjusted it) approves; everyone must have passed their "
          "new post's training; approval changes the posts and keeps the history.")
    async def approve(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime,
                      data: Decision | None = None, actor: str = ACTOR) -> PlanView:
        async with runtime.transaction() as tx:
            return await rotation.decide_plan(tx, plaza, plan_id, data or Decision(), approve=True, actor=actor)

    @post("/{plan_id:str}/reject", status_code=200, summary="驳回轮换计划 / Reject a rotation plan")
    async def reject(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime,
                     data: Decision | None = None, actor: str = ACTOR) -> PlanView:
        async with runtime.transaction() as tx:
            return await rotation.decide_plan(tx, plaza, plan_id, data or Decision(), approve=False, actor=actor)
