"""Reports' HTTP API: the monthly billing report (JSON or Excel) and the prepaid readings
report. Translation only."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.billing.reports import services as reports

FORMATS = ("json", "xlsx")


class ReportController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["reports"]

    @get("/reports/monthly", summary="月度账单报表 / Monthly billing report",
         description="某月（广场当地时间）的应收（费用、物业费）、实收（收款、押金抵扣）、退款、收缴率，以及月末的"
                     "欠费账龄，逐单元列出；format=xlsx 导出 Excel。 / The month's billed (charges, fees), "
                     "collected (payments, deposits applied), refunded, the collection rate and the arrears "
                     "by age at the month's end, per unit, the month taken in the plaza's time zone; "
                     "format=xlsx for Excel (lang=en for English headers).")
    async def monthly(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        async with runtime.read() as conn:
            report = await reports.monthly_report(conn, plaza, month)
        if format == "xlsx":
            return await export.report_response(reports.monthly_sheets(report), lang, f"billing-{plaza}-{month}")
        return Response(msgspec.to_builtins(report))

    @get("/prepaid/report", summary="水电抄表报表 / Prepaid readings report",
         description="每个单元每项水电的读数次数、首末读数、用量、扣费和当前余额；month=YYYY-MM 只看该月（广场当地时间）。 / "
                     "Per unit and utility: readings, first and last reading, consumption, deducted and the "
                     "balance after the last reading; month=YYYY-MM for one month in the plaza's time zone; format=xlsx for Excel.")
    async def prepaid(
        self, plaza: FromPath[str], runtime: Runtime, month: str | None = Parameter(query="month", default=None),
        format: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Page | Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        async with runtime.read() as conn:
            items = await reports.prepaid_report(conn, plaza, month)
        if format == "xlsx":
            return await export.report_response(reports.prepaid_report_sheets(items, lang), lang,
                                                f"prepaid-{plaza}-{month or 'all'}")
        return Page(items=items)

    @get("/prepaid/summary", summary="水电充值月度汇总 / Prepaid utilities monthly summary",
         description="某月（广场当地时间）的水电充值：按支付方式与按日的金额和笔数、按类别的充值与扣费、月末各单元余额、"
                     "低于预警余额的单元；format=xlsx 导出 Excel（lang=en 英文表头）。 / The month's prepaid "
                     "recharges by method and by day (amount, count), recharges and deductions by utility, each "
                     "unit's balance at the month's end and the units below the tariff's warning level; "
                     "format=xlsx for Excel (lang=en for English headers).")
    async def prepaid_summary(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: str = Parameter(query="format", default="json"),
        lang: str = Parameter(query="lang", default="zh"),
    ) -> Response:
        format, lang = export.choose(format, FORMATS), export.language(lang)
        async with runtime.read() as conn:
            summary = await reports.prepaid_summary(conn, plaza, month)
        if format == "xlsx":
            return await export.report_response(reports.prepaid_summary_sheets(summary, lang), lang,
                                                f"prepaid-summary-{plaza}-{month}")
        return Response(msgspec.to_builtins(summary))
