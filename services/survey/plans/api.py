"""Key-account visit plan routes: generate, list, show with completion figures, approve,
record each visit's outcome."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.survey.plans import domain, store
from services.survey.plans import services as plans
from services.survey.plans.services import OutcomeCreate, PlanCreate


class PlannedVisitView(msgspec.Struct, kw_only=True):
    unit: str
    occupant_name: str | None
    occupant_phone: str | None
    planned_on: str
    outcome: str | None
    rating: str | None
    note: str | None
    recorded_at: str | None
    recorded_by: str | None


class PlanView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    month: str
    status: domain.PlanStatus
    created_at: str
    created_by: str | None
    approved_at: str | None
    approved_by: str | None
    completed_at: str | None
    completion: domain.Completion
    visits: list[PlannedVisitView]


class PlanSummary(msgspec.Struct, kw_only=True):
    id: str
    month: str
    status: str


def _view(plan, items) -> PlanView:
    visits = [
        PlannedVisitView(
            unit=i["unit"], occupant_name=i["occupant_name"], occupant_phone=i["occupant_phone"],
            planned_on=i["planned_on"].isoformat(), outcome=i["outcome"], rating=i["rating"], note=i["note"],
            recorded_at=iso(i["recorded_at"]), recorded_by=i["recorded_by"],
        )
        for i in items
    ]
    return PlanView(
        id=plan["id"], plaza_id=plan["plaza_id"], month=plan["month"], status=plan["status"],
        created_at=iso(plan["created_at"]), created_by=plan["created_by"], approved_at=iso(plan["approved_at"]),
        approved_by=plan["approved_by"], completed_at=iso(plan["completed_at"]),
        completion=domain.completion([i["outcome"] for i in items]), visits=visits,
    )


class PlanController(Controller):
    path = "/v1/plazas/{plaza:str}/key-account-plans"

    @post("/", status_code=201)
    async def generate(
        self, plaza: FromPath[str], data: PlanCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            plan_id = await plans.generate_plan(tx, plaza, data, actor=actor)
            return _view(*await plans.get_plan(tx.conn, plaza, plan_id))

    @get("/")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_plans(conn, plaza, month=month, after=cursor, limit=limit)
        items = [PlanSummary(id=r["id"], month=r["month"], status=r["status"]) for r in rows]
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/{plan_id:str}")
    async def show(self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime) -> PlanView:
        async with runtime.read() as conn:
            return _view(*await plans.get_plan(conn, plaza, plan_id))

    @post("/{plan_id:str}/approve", status_code=200)
    async def approve(
        self, plaza: FromPath[str], plan_id: FromPath[str], runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> PlanView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await plans.approve_plan(tx, plaza, plan_id, actor=actor)
            return _view(*await plans.get_plan(tx.conn, plaza, plan_id))

    @post("/{plan_id:str}/visits/{unit:str}/outcome", status_code=200)
    async def outcome(
        self, plaza: FromPath[str], plan_id: FromPath[str], unit: FromPath[str], data: OutcomeCreate,
        runtime: Runtime, actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> PlanView:
        plaza_token(plaza)
        validate_token(unit, "unit")
        async with runtime.transaction() as tx:
            await plans.record_outcome(tx, plaza, plan_id, unit, data, actor=actor)
            return _view(*await plans.get_plan(tx.conn, plaza, plan_id))
