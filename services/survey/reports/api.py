"""The monthly satisfaction report: JSON, Excel (``?format=xlsx``) or a chart."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime import export as spreadsheet
from libs.runtime.service import Runtime
from services.survey.campaigns import export
from services.survey.reports import services as reports


class ReportController(Controller):
    path = "/v1/plazas/{plaza:str}/reports/satisfaction"

    @get(
        "/",
        summary="月度满意度报告 / Monthly satisfaction report",
        description="按广场时区计算的一个月：回访（当月关闭工单的回访率，当月答复按部门的满意率）与满意度调查（按部门、维度的满意率）；format=xlsx 下载 Excel（lang=en 英文表头）。\n\n"
        "One month in the plaza's time zone: return visits (coverage over the month's closes, "
        "satisfaction per department over the month's answers) and campaigns (satisfaction per "
        "department and dimension); format=xlsx for Excel (lang=en for English headers).",
    )
    async def monthly(
        self, plaza: FromPath[str], runtime: Runtime, month: str,
        fmt: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        async with runtime.read() as conn:
            report = await reports.satisfaction_report(conn, plaza, month)
        sheets = export.rate_sheets(
            return_visits=report.return_visits.by_department,
            campaign_by_department=report.campaign_by_department,
            campaign_by_dimension=report.campaign_by_dimension,
        )
        visits = report.return_visits
        sheets.append(("coverage", ["scheduled", "done", "skipped", "coverage"],
                       [[visits.scheduled, visits.done, visits.skipped, visits.coverage]]))
        return await export.table_response(report, fmt, f"satisfaction-{plaza}-{month}", sheets, lang)

    @get(
        "/chart",
        summary="月度满意度图表 / Chart of the monthly report",
        description="各部门回访与调查满意率柱状图，format=png 或 svg。\n\n"
        "Bars of each department's satisfaction rate from return visits and from campaigns; "
        "format=png or svg.",
    )
    async def chart(
        self, plaza: FromPath[str], runtime: Runtime, month: str,
        fmt: str = Parameter(query="format", default="png"),
    ) -> Response:
        fmt = export.image_format(fmt)
        async with runtime.read() as conn:
            report = await reports.satisfaction_report(conn, plaza, month)
        visits = {r.department: r.rate for r in report.return_visits.by_department}
        campaign = {r.department: r.rate for r in report.campaign_by_department}
        labels = sorted(visits.keys() | campaign.keys())
        series = {"return visits": [visits.get(d) for d in labels], "campaign": [campaign.get(d) for d in labels]}
        image = await spreadsheet.draw(export.bar_chart, f"Satisfaction by department, {month}", labels, series, fmt)
        return Response(content=image, media_type=export.IMAGE_TYPES[fmt])
