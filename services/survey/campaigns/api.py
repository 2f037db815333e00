"""Campaign routes: create (draws the sample), sample, responses, close, statistics as JSON,
Excel (``?format=xlsx``) and a chart (``…/chart?format=png|svg``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts import utcnow
from libs.runtime import export as spreadsheet
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.survey.campaigns import export
from services.survey.campaigns import services as campaigns
from services.survey.campaigns.services import CampaignCreate, CampaignResponseCreate, CampaignView, ResponseRecorded


CAMPAIGN_EXAMPLE = Example(
    summary="2026 年 12 月满意度调查 / The December 2026 satisfaction survey",
    value={"title": "2026 年度第四季度满意度调查", "month": "2026-12", "sample_size": 120, "seed": 20261201},
)
CAMPAIGN_RESPONSE_EXAMPLE = Example(
    summary="A-203 的答卷（五分制）/ Unit A-203's answers (five-point scale)",
    value={"unit": "A-203", "answers": {"cleanliness": 5, "security": 4, "repairs": 3}, "comment": "维修响应可以更快",
           "channel": "phone"},
)


def _this_month() -> str:
    return utcnow().strftime("%Y-%m")


class CampaignController(Controller):
    path = "/v1/plazas/{plaza:str}/campaigns"

    @post(
        "/", status_code=201,
        summary="新建满意度调查 / Create a campaign",
        description="新建满意度调查并立即抽样：按楼栋 × 业户类型分层，按比例（最大余数法）分配，用调查的种子抽取；未给出的问卷、量表、样本量取广场调查政策。\n\n"
        "Creates a satisfaction campaign and draws its sample at once: strata are building × "
        "occupant kind, the size is shared in proportion (largest remainder), units are drawn "
        "with the campaign's seed; questionnaire, scale and sample size default to the plaza's "
        "survey policy.",
    )
    async def create(
        self, plaza: FromPath[str], data: Annotated[CampaignCreate, Body(examples=[CAMPAIGN_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> CampaignView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.create_campaign(
                tx, plaza, data, default_window_hours=runtime.settings.visit_window_hours, actor=actor
            )

    @get(
        "/",
        summary="调查列表 / List campaigns",
        description="广场的满意度调查，按 id 分页，可按月份筛选。\n\n"
        "The plaza's campaigns in id order, a page at a time; filter by month.",
    )
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await campaigns.list_campaigns(conn, plaza, month=month, after=cursor, limit=limit)
        return Page.of(items, limit)

    @get(
        "/statistics",
        summary="满意度月度统计 / Satisfaction month by month",
        description="指定月份范围内各月、各维度、各部门的满意率，以及与上月的变化（环比）；format=xlsx 下载 Excel（lang=en 英文表头）。\n\n"
        "Satisfaction rates per month, dimension and department over a range of months, with the "
        "change against the month before; format=xlsx for Excel (lang=en for English headers).",
    )
    async def plaza_statistics(
        self, plaza: FromPath[str], runtime: Runtime,
        from_month: str = Parameter(query="from", default="0000-01"),
        to_month: str | None = Parameter(query="to", default=None),
        fmt: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        async with runtime.read() as conn:
            stats = await campaigns.plaza_statistics(conn, plaza, from_month, to_month or _this_month())
        sheets = export.rate_sheets(by_month=stats.by_month, by_department=stats.by_department, by_dimension=stats.by_dimension)
        return await export.table_response(stats, fmt, f"satisfaction-{plaza}", sheets, lang)

    @get(
        "/statistics/chart",
        summary="满意度月度图表 / Chart of satisfaction by month",
        description="各部门各月满意率柱状图，format=png 或 svg。\n\n"
        "Bars of each department's satisfaction rate month by month; format=png or svg.",
    )
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

    @get(
        "/{campaign_id:str}",
        summary="查看调查 / Show a campaign",
        description="调查的问卷、量表、总体与样本量、种子和状态。\n\n"
        "The campaign's questionnaire, scale, population and sample size, seed and status.",
    )
    async def show(self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime) -> CampaignView:
        async with runtime.read() as conn:
            return await campaigns.show_campaign(conn, plaza, campaign_id)

    @get(
        "/{campaign_id:str}/sample",
        summary="调查样本 / The sample drawn",
        description="抽中的单元及其分层、是否已作答，按单元分页；answered 可筛选。\n\n"
        "The units drawn with their stratum and whether each has answered, a page at a time by "
        "unit; filter with answered.",
    )
    async def sample(
        self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime,
        answered: bool | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=500, ge=1, le=5000),
    ) -> Page:
        async with runtime.read() as conn:
            items = await campaigns.list_sample(conn, plaza, campaign_id, answered=answered, after=cursor, limit=limit)
        return Page.of(items, limit, "unit")

    @post(
        "/{campaign_id:str}/responses", status_code=201,
        summary="登记答卷 / Record a response",
        description="登记样本单元的答卷：每个维度五分制 1–5 或三级（satisfied、"
        "basically_satisfied、unsatisfied）。不在样本中 400，"
        "已作答或调查已结束 409。\n\n"
        "Records a sampled unit's answers: each dimension 1–5 on the five-point scale, or a level"
        " (satisfied, basically_satisfied, unsatisfied) on the three-level one. A unit outside "
        "the sample answers 400; one that answered already, or a closed campaign, 409.",
    )
    async def respond(
        self, plaza: FromPath[str], campaign_id: FromPath[str],
        data: Annotated[CampaignResponseCreate, Body(examples=[CAMPAIGN_RESPONSE_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> ResponseRecorded:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.respond(tx, plaza, campaign_id, data, actor=actor)

    @post(
        "/{campaign_id:str}/close", status_code=200,
        summary="结束调查 / Close a campaign",
        description="结束调查，不再接受答卷；已结束的返回 409。\n\n"
        "Closes the campaign: it takes no more responses. One already closed answers 409.",
    )
    async def close(self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime) -> CampaignView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await campaigns.close_campaign(tx, plaza, campaign_id)

    @get(
        "/{campaign_id:str}/statistics",
        summary="调查统计 / Campaign statistics",
        description="回收率、满意率，按维度、部门和分层统计；format=xlsx 下载 Excel（lang=en 英文表头）。\n\n"
        "Response rate and satisfaction rate, per dimension, department and stratum; format=xlsx "
        "for Excel.",
    )
    async def statistics(
        self, plaza: FromPath[str], campaign_id: FromPath[str], runtime: Runtime,
        fmt: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        async with runtime.read() as conn:
            stats = await campaigns.campaign_statistics(conn, plaza, campaign_id)
        sheets = export.rate_sheets(by_department=stats.by_department, by_dimension=stats.by_dimension)
        strata = [[s.building, s.occupant_kind, s.drawn, s.answered] for s in stats.strata]
        sheets.append(("strata", ["building", "occupant_kind", "drawn", "answered"], strata))
        return await export.table_response(stats, fmt, f"campaign-{campaign_id}", sheets, lang)

    @get(
        "/{campaign_id:str}/statistics/chart",
        summary="调查统计图表 / Chart of a campaign",
        description="各维度满意率柱状图，format=png 或 svg。\n\n"
        "Bars of the satisfaction rate per dimension; format=png or svg.",
    )
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
