"""Return-visit routes: list, figures, one visit, the occupant's answer taken by phone."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.survey.visits import domain
from services.survey.visits import services as visits
from services.survey.visits.services import ResponseCreate, VisitStats, VisitView


class VisitController(Controller):
    path = "/v1/plazas/{plaza:str}/visits"

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        work_order_id: str | None = None,
        status: domain.Status | None = None,
        unit: str | None = None,
        department: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await visits.find_visits(
                conn, plaza, work_order_id=work_order_id, status=status, unit=unit, department=department,
                after=cursor, limit=limit,
            )
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/stats")
    async def stats(self, plaza: FromPath[str], runtime: Runtime, department: str | None = None) -> VisitStats:
        async with runtime.read() as conn:
            return await visits.visit_stats(conn, plaza, department)

    @get("/{visit_id:str}")
    async def show(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> VisitView:
        async with runtime.read() as conn:
            return await visits.show_visit(conn, plaza, visit_id)

    @post("/{visit_id:str}/response", status_code=200)
    async def respond(
        self,
        plaza: FromPath[str],
        visit_id: FromPath[str],
        data: ResponseCreate,
        runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> VisitView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await visits.answer_visit(tx, plaza, visit_id, data, actor=actor)
