"""Reports' HTTP API: the monthly billing report (JSON or Excel) and the prepaid readings
report. Translation only."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.errors import InvalidInput
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.billing.reports import services as reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["reports"]

    @get("/reports/monthly", summary="月度账单报表 / Monthly billing report",
         description="某月（广场当地时间）的应收（费用、物业费）、实收（收款、押金抵扣）、退款、收缴率，以及月末的"
                     "欠费账龄，逐单元列出；format=xlsx 导出 Excel。 / The month's billed (charges, fees), "
                     "collected (payments, deposits applied), refunded, the collection rate and the arrears "
                     "by age at the month's end, per unit, the month taken in the plaza's time zone; "
                     "format=xlsx for Excel.")
    async def monthly(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: str = Parameter(query="format", default="json"),
    ) -> Response:
        if format not in ("json", "xlsx"):
            raise InvalidInput("format must be json or xlsx", field="format")
        async with runtime.read() as conn:
            report = await reports.monthly_report(conn, plaza, month)
        if format == "xlsx":
            headers = {"Content-Disposition": f'attachment; filename="billing-{plaza}-{month}.xlsx"'}
            return Response(await export.off_loop(reports.monthly_xlsx, report), media_type=XLSX, headers=headers)
        return Response(msgspec.to_builtins(report))

    @get("/prepaid/report", summary="水电抄表报表 / Prepaid readings report",
         description="每个单元每项水电的读数次数、首末读数、用量、扣费和当前余额；month=YYYY-MM 只看该月（广场当地时间）。 / "
                     "Per unit and utility: readings, first and last reading, consumption, deducted and the "
                     "balance after the last reading; month=YYYY-MM for one month in the plaza's time zone.")
    async def prepaid(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = Parameter(query="month", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            return Page(items=await reports.prepaid_report(conn, plaza, month))
