"""Reports for the manager over HTTP: complaint statistics as JSON, Excel or a chart."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.service import Runtime
from services.dispatch import services, services_reports
from services.dispatch.domain_reports import ComplaintReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _report(runtime: Runtime, plaza: str, month: str) -> ComplaintReport:
    async with runtime.read() as conn:
        return await services_reports.complaint_report(conn, plaza, month, services.now())


class ReportsController(Controller):
    path = "/v1/plazas/{plaza:str}/reports"

    @get("/complaints")
    async def complaints(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: Literal["json", "xlsx"] = Parameter(query="format", default="json"),
    ) -> Response:
        report = await _report(runtime, plaza, month)
        if format == "xlsx":
            return Response(
                await export.off_loop(services_reports.to_xlsx, report, plaza), media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="complaints-{plaza}-{month}.xlsx"'},
            )
        return Response(report)

    @get("/complaints.svg")
    async def complaints_chart(self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month")) -> Response:
        report = await _report(runtime, plaza, month)
        return Response(await export.draw(services_reports.to_svg, report, plaza), media_type="image/svg+xml")
