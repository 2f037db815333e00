"""Reports for the manager over HTTP: complaint statistics as JSON, Excel or a chart."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.service import Runtime
from services.dispatch.reports import export as files
from services.dispatch.reports import services as reports
from services.dispatch.reports.domain import ComplaintReport
from services.dispatch.sla import services as sla


async def _report(runtime: Runtime, plaza: str, month: str) -> ComplaintReport:
    async with runtime.read() as conn:
        return await reports.complaint_report(conn, plaza, month, sla.now())


class ReportsController(Controller):
    path = "/v1/plazas/{plaza:str}/reports"

    @get(
        "/complaints",
        summary="投诉统计分析报告 / Monthly complaint analysis report",
        description="按广场时区计算的当月投诉（含经人工更正为投诉的请求，不含更正为非投诉的）：投诉清单"
        "（单元或公共区域、内容、部门、处理结果、回访评价）、重大投诉数、按类别/部门/渠道计数、近六个月趋势"
        "（环比）、更正为投诉及更正离开投诉的数量、首次响应和关闭的中位时长、重开率、时限达成率；"
        "format=xlsx 下载 Excel（lang=en 英文表头）。\n\n"
        "The month's complaints in the plaza's time, following the desk's corrections (a request "
        "corrected into a complaint counts, one corrected away does not): the list (unit or area, text, "
        "department, outcome, return-visit rating), major complaints, counts by category, department and "
        "channel, the six-month trend with each month's change, requests corrected into and away from "
        "complaints, median minutes to first response and to close, reopen rate, SLA compliance; "
        "format=xlsx for Excel (lang=en for English headers).",
    )
    async def complaints(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        format, lang = export.choose(format, ("json", "xlsx")), export.language(lang)
        report = await _report(runtime, plaza, month)
        if format == "xlsx":
            return await export.report_response(files.sheets(report, plaza), lang, f"complaints-{plaza}-{month}")
        return Response(report)

    @get(
        "/complaints.svg",
        summary="月度投诉图表 / Monthly complaint chart",
        description="当月投诉按类别和部门的柱状图及近六个月趋势（SVG；有中文字体时中英文标注）。\n\n"
        "The month's complaints by category and department, and the six-month trend (SVG; labelled in "
        "Chinese and English where a CJK font is installed, in English otherwise).",
    )
    async def complaints_chart(self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month")) -> Response:
        report = await _report(runtime, plaza, month)
        return Response(await export.draw(files.to_svg, report, plaza), media_type="image/svg+xml")
