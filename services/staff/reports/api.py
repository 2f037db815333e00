"""The supervisor's report routes. Translation only."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.service import Runtime
from services.staff.reports import services as reports
from services.staff.reports.services import PhoneEtiquette


class ReportController(Controller):
    path = "/v1/plazas/{plaza:str}/reports"
    tags = ["reports"]

    @get("/phone-etiquette", summary="接听礼仪 / Phone etiquette per clerk",
         description="某月（广场当地时间）每位客服：三声（15 秒）内接起的比例、平均接听秒数、问候与复述的比例，"
         "以及其受理的报事后续回访的满意度。\n\nPer clerk for a month in the plaza's zone: the share of calls "
         "answered within three rings (15 s), the average seconds to answer, greeting and read-back compliance, "
         "and the satisfaction of the return visits that followed their requests.")
    async def phone_etiquette(self, plaza: FromPath[str], runtime: Runtime,
                              month: str = Parameter(query="month")) -> PhoneEtiquette:
        async with runtime.read() as conn:
            return await reports.phone_etiquette(conn, plaza, month)
