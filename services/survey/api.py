"""Survey's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.survey import domain, services, services_links, store
from services.survey.services import Policy, PolicyUpdate, ResponseCreate


class VisitView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    work_order_id: str
    reopen_count: int
    request_id: str | None
    unit: str
    department: str
    status: domain.Status
    occupant_name: str | None
    occupant_phone: str | None
    closed_at: str
    scheduled_at: str
    due_at: str
    answered_at: str | None
    answered_by: str | None
    rating: domain.Rating | None
    reasons: list[str]
    comment: str | None
    channel: domain.AnswerChannel | None
    skip_reason: str | None


class SatisfactionCounts(msgspec.Struct, kw_only=True):
    satisfied: int
    basically_satisfied: int
    unsatisfied: int


class VisitStats(msgspec.Struct, kw_only=True):
    scheduled: int  # visits to make: skipped ones (fatigue window) are not counted
    done: int
    overdue: int
    pending: int
    skipped: int
    coverage: float | None
    satisfaction: SatisfactionCounts
    satisfaction_rate: float | None


def _view(row, now: dt.datetime) -> VisitView:
    return VisitView(
        id=row["id"], plaza_id=row["plaza_id"], work_order_id=row["work_order_id"],
        reopen_count=row["reopen_count"], request_id=row["request_id"], unit=row["unit"],
        department=row["department"],
        status=domain.visit_status(row["answered_at"] is not None, row["due_at"], now, row["skip_reason"] is not None),
        occupant_name=row["occupant_name"], occupant_phone=row["occupant_phone"],
        closed_at=iso(row["closed_at"]), scheduled_at=iso(row["scheduled_at"]),
        due_at=iso(row["due_at"]), answered_at=iso(row["answered_at"]),
        answered_by=row["answered_by"], rating=row["rating"], reasons=list(row["reasons"] or []),
        comment=row["comment"], channel=row["channel"], skip_reason=row["skip_reason"],
    )


def _stats(counts: dict) -> VisitStats:
    ratings = {r: counts["ratings"].get(r, 0) for r in domain.RATINGS}
    return VisitStats(
        scheduled=counts["scheduled"], done=counts["done"], overdue=counts["overdue"],
        pending=counts["scheduled"] - counts["done"] - counts["overdue"], skipped=counts["skipped"],
        coverage=domain.coverage(counts["done"], counts["scheduled"]),
        satisfaction=SatisfactionCounts(**ratings),
        satisfaction_rate=domain.satisfaction_rate(ratings),
    )


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
        now = services.now()
        async with runtime.read() as conn:
            rows = await store.list_visits(
                conn, plaza, now=now, work_order_id=work_order_id, status=status,
                unit=unit, department=department, after=cursor, limit=limit,
            )
        items = [_view(r, now) for r in rows]
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/stats")
    async def stats(self, plaza: FromPath[str], runtime: Runtime, department: str | None = None) -> VisitStats:
        async with runtime.read() as conn:
            counts = await store.visit_counts(conn, plaza, now=services.now(), department=department)
        return _stats(counts)

    @get("/{visit_id:str}")
    async def show(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> VisitView:
        async with runtime.read() as conn:
            row = await store.get_visit(conn, plaza, visit_id)
        if row is None:
            raise NotFound(f"return visit {visit_id!r} not found in plaza {plaza!r}", field="id")
        return _view(row, services.now())

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
            row = await services.answer_visit(tx, plaza, visit_id, data, actor=actor)
        return _view(row, services.now())


class LinkIssued(msgspec.Struct, kw_only=True):
    token: str
    path: str  # where the occupant opens it: GET to read the question, POST to answer
    visit_id: str
    expires_at: str


class LinkQuestion(msgspec.Struct, kw_only=True):
    visit_id: str
    plaza_id: str
    unit: str
    department: str
    status: domain.Status
    text: str
    ratings: list[str]
    reason_codes: list[str]
    expires_at: str


class LinkController(Controller):
    """Issued by the clerk (plaza-scoped); see SurveyLinkController for the occupant's side."""

    path = "/v1/plazas/{plaza:str}/visits/{visit_id:str}/link"

    @post("/", status_code=201)
    async def issue(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> LinkIssued:
        plaza_token(plaza)
        async with runtime.read() as conn:
            token, claims = await services_links.issue_link(
                conn, plaza, visit_id, secret=runtime.settings.survey_link_secret,
                default_window_hours=runtime.settings.visit_window_hours,
            )
        return LinkIssued(token=token, path=f"/v1/plazas/{plaza}/survey-links/{token}", visit_id=visit_id, expires_at=iso(claims.expires_at))


class SurveyLinkController(Controller):
    """The occupant's no-login page: the signed token is the only credential."""

    path = "/v1/plazas/{plaza:str}/survey-links/{token:str}"

    @get("/")
    async def show(self, plaza: FromPath[str], token: FromPath[str], runtime: Runtime) -> LinkQuestion:
        async with runtime.read() as conn:
            visit, claims = await services_links.visit_for_link(conn, plaza, token, secret=runtime.settings.survey_link_secret)
        q = services_links.question(visit)
        return LinkQuestion(
            visit_id=visit["id"], plaza_id=visit["plaza_id"], unit=visit["unit"], department=visit["department"],
            status=_view(visit, services.now()).status, text=q["text"], ratings=q["ratings"],
            reason_codes=q["reason_codes"], expires_at=iso(claims.expires_at),
        )

    @post("/", status_code=200)
    async def answer(self, plaza: FromPath[str], token: FromPath[str], data: ResponseCreate, runtime: Runtime) -> VisitView:
        async with runtime.transaction() as tx:
            row = await services_links.answer_by_link(tx, plaza, token, data, secret=runtime.settings.survey_link_secret)
        return _view(row, services.now())


class PolicyController(Controller):
    path = "/v1/plazas/{plaza:str}/survey-policy"

    @get("/")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> Policy:
        async with runtime.read() as conn:
            return await services.effective_policy(conn, plaza, runtime.settings.visit_window_hours)

    @put("/")
    async def replace(
        self, plaza: FromPath[str], data: PolicyUpdate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> Policy:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            policy = await services.put_policy(
                tx, plaza, data, default_window_hours=runtime.settings.visit_window_hours, actor=actor
            )
        # again after commit: no batch that raced it keeps the old
        services.forget_policy(tx.conn, plaza, runtime.settings.visit_window_hours)
        return policy
