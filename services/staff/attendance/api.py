"""Attendance routes: the person clocks in and out and sees where they stand (the
console's header button calls these); the month's summary. Translation only."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.auth import ACTOR
from libs.runtime.errors import InvalidInput
from libs.runtime.service import Runtime
from services.staff.attendance import services as attendance
from services.staff.attendance.services import Clocked, Me


class AttendanceController(Controller):
    path = "/v1/plazas/{plaza:str}/attendance"
    tags = ["attendance"]

    @post("/clock-in", status_code=200, summary="签到 / Clock in",
          description="为本人当前（或 30 分钟内开始）的班次签到；开始 5 分钟后签到记为迟到。\n\n"
          "Clocks the caller in for their shift under way or starting within 30 minutes; more than 5 minutes "
          "after its start is late.")
    async def clock_in(self, plaza: FromPath[str], runtime: Runtime, data: dict | None = None,
                       actor: str = ACTOR) -> Clocked:
        async with runtime.transaction() as tx:
            return await attendance.clock_in(tx, plaza, actor)

    @post("/clock-out", status_code=200, summary="签退 / Clock out")
    async def clock_out(self, plaza: FromPath[str], runtime: Runtime, data: dict | None = None,
                        actor: str = ACTOR) -> Clocked:
        async with runtime.transaction() as tx:
            return await attendance.clock_out(tx, plaza, actor)

    @get("/me", summary="我的考勤 / Where I stand",
         description="{\"shift\": 已签到的班次，否则当前或接下来的班次（或 null）, \"clocked_in_at\": 签到时间或 null}。\n\n"
         "The shift clocked in for (else the current or next one, or null) and when the caller clocked in (or null).")
    async def me(self, plaza: FromPath[str], runtime: Runtime, actor: str = ACTOR) -> Me:
        async with runtime.read() as conn:
            return await attendance.me(conn, plaza, actor)

    @get("/summary", summary="月度考勤 / Monthly attendance summary",
         description="某月（广场当地时间）每人的班次、出勤、迟到、缺勤、工时及逐班明细；format=xlsx 导出 Excel。\n\n"
         "Per person: shifts, worked, late, absent, hours, and every shift, for a month in the plaza's zone; "
         "format=xlsx for Excel.")
    async def summary(self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
                      format: str = Parameter(query="format", default="json")) -> Response:
        if format not in ("json", "xlsx"):
            raise InvalidInput("format must be json or xlsx", field="format")
        async with runtime.read() as conn:
            report = await attendance.summary(conn, plaza, month)
        if format == "xlsx":
            headers = {"Content-Disposition": f'attachment; filename="attendance-{plaza}-{month}.xlsx"'}
            return Response(await export.off_loop(attendance.summary_xlsx, report), media_type=export.XLSX_TYPE,
                            headers=headers)
        return Response(msgspec.to_builtins(report))
