"""Campaign routes: create (draws the sample), sample, responses, close, statistics as JSON,
Excel (``?format=xlsx``) and a chart (``…/chart?format=png|svg``)."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromPath, Parameter

from libs.contracts import utcnow
from libs.runtime import export as spreadsheet
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.survey.campaigns import export
from services.survey.campaigns import services as campaigns
from services.survey.campaigns.services import CampaignCreate, CampaignResponseCreate, CampaignView, ResponseRecorded


def _this_month() -> str:
    return utcnow().strftime("%Y-%m")


class CampaignController(Controller):
    path = "/v1/plazas/{plaza:str}/campaigns"

    @post("/", status_code=201)
    async def create(
        self, plaza: FromPath[str], data: CampaignCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> CampaignView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.create_campaign(
                tx, plaza, data, default_window_hours=runtime.settings.visit_window_hours, actor=actor
            )

    @get("/")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await campaigns.list_campaigns(conn, plaza, month=month, after=cursor, limit=limit)
        return Page(items=items, next=items[-1].id if len(items) == limit else None)

    @get("/statistics")
    async def plaza_statistics(
        self, plaza: FromPath[str], runtime: Runtime,
        from_month: str = Parameter(query="from", default="0000-01"),
        to_month: str | None = Parameter(query="to", default=None),
        fmt: str = Parameter(query="format", default="json"),
    ) -> Response:
        async with runtime.read() as conn:
            stats = await campaigns.plaza_statistics(conn, plaza, from_month, to_month or _this_month())
        sheets = export.rate_sheets(by_month=stats.by_month, by_department=stats.by_department, by_dimension=stats.by_dimension)
        return await export.table_response(stats, fmt, f"satisfaction-{plaza}", sheets)

    @get("/statistics/chart")
    async def plaza_chart(
        self, plaza: FromPath[str], runtime: Runtime,
        from_month: str = Parameter(query="from", default="0000-01"),
        to_month: str | None = Parameter(query="to", default=None),
        fmt: str = Parameter(query="format", default="png"),
    ) -> Response:
        fmt = export.image_format(fmt)
        async with runtime.read() as conn:
            stats = await campaigns.plaza_statistics(conn, plaza, from_month, to_month or _this_month())
        months = [r.month for r in stats.by_month]
        series: dict[str, list] = {}
        for row in stats.by_department:
            series.setdefault(row.department, [None] * len(months))[months.index(row.month)] = row.rate
        image = await spreadsheet.draw(export.bar_chart, f"Satisfaction by department, {plaza}", months, series, fmt)
        return Response(content=image, media_type=export.IMAGE_TYPES[fmt])

    @get("/{campaign_id:str}")
    async def show(self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime) -> CampaignView:
        async with runtime.read() as conn:
            return await campaigns.show_campaign(conn, plaza, campaign_id)

    @get("/{campaign_id:str}/sample")
    async def sample(
        self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime,
        answered: bool | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=500, ge=1, le=5000),
    ) -> Page:
        async with runtime.read() as conn:
            items = await campaigns.list_sample(conn, plaza, campaign_id, answered=answered, after=cursor, limit=limit)
        return Page(items=items, next=items[-1].unit if len(items) == limit else None)

    @post("/{campaign_id:str}/responses", status_code=201)
    async def respond(
        self, plaza: FromPath[str], campaign_id: FromPath[str], data: CampaignResponseCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> ResponseRecorded:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.respond(tx, plaza, campaign_id, data, actor=actor)

    @post("/{campaign_id:str}/close", status_code=200)
    async def close(self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime) -> CampaignView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.close_campaign(tx, plaza, campaign_id)

    @get("/{campaign_id:str}/statistics")
    async def statistics(
        self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime,
        fmt: str = Parameter(query="format", default="json"),
    ) -> Response:
        async with runtime.read() as conn:
            stats = await campaigns.campaign_statistics(conn, plaza, campaign_id)
        sheets = export.rate_sheets(by_department=stats.by_department, by_dimension=stats.by_dimension)
        strata = [[s.building, s.occupant_kind, s.drawn, s.answered] for s in stats.strata]
        sheets.append(("strata", ["building", "occupant_kind", "drawn", "answered"], strata))
        return await export.table_response(stats, fmt, f"campaign-{campaign_id}", sheets)

    @get("/{campaign_id:str}/statistics/chart")
    async def chart(
        self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime,
        fmt: str = Parameter(query="format", default="png"),
    ) -> Response:
        fmt = export.image_format(fmt)
        async with runtime.read() as conn:
            stats = await campaigns.campaign_statistics(conn, plaza, campaign_id)
        rows = stats.by_dimension
        image = await spreadsheet.draw(export.bar_chart, f"Satisfaction by dimension, {stats.month}",
                                       [r.dimension for r in rows], {"rate": [r.rate for r in rows]}, fmt)
        return Response(content=image, media_type=export.IMAGE_TYPES[fmt])
