"""Key-account visit plan routes: generate, list, show with completion figures, approve,
record each visit's outcome."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.survey.plans import services as plans
from services.survey.plans.services import OutcomeCreate, PlanCreate, PlanView


class PlanController(Controller):
    path = "/v1/plazas/{plaza:str}/key-account-plans"

    @post("/", status_code=201)
    async def generate(
        self, plaza: FromPath[str], data: PlanCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await plans.generate_plan(tx, plaza, data, actor=actor)

    @get("/")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await plans.list_plans(conn, plaza, month=month, after=cursor, limit=limit)
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/{plan_id:str}")
    async def show(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime) -> PlanView:
        async with runtime.read() as conn:
            return await plans.show_plan(conn, plaza, plan_id)

    @post("/{plan_id:str}/approve", status_code=200)
    async def approve(
        self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await plans.approve_plan(tx, plaza, plan_id, actor=actor)

    @post("/{plan_id:str}/visits/{unit:str}/outcome", status_code=200)
    async def outcome(
        self, plaza: FromPath[str], plan_id: FromPath[str], unit: FromPath[str], data: OutcomeCreate,
        runtime: Runtime, actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> PlanView:
        plaza_token(plaza)
        validate_token(unit, "unit")
        async with runtime.transaction() as tx:
            return await plans.record_outcome(tx, plaza, plan_id, unit, data, actor=actor)
