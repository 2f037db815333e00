"""The header's clock-in / clock-out (考勤打卡): a fragment the page loads after it is shown."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Template

from services.console.attendance import domain
from services.console.attendance import services as attendance


def _shown(request: Request, me: dict | None, refused=None) -> Template:
    return Template("attendance/widget.html", context={"me": me, "refused": refused, "d": domain})


@get("/attendance", include_in_schema=False)
async def widget(request: Request) -> Template:
    if not domain.offered(request.state.roles):
        return _shown(request, None)
    return _shown(request, await attendance.mine(request.state.calls, request.state.plaza))


@post("/attendance/clock-in", include_in_schema=False)
async def clock_in(request: Request) -> Template:
    return _shown(request, *await attendance.clock(request.state.calls, request.state.plaza, "in"))


@post("/attendance/clock-out", include_in_schema=False)
async def clock_out(request: Request) -> Template:
    return _shown(request, *await attendance.clock(request.state.calls, request.state.plaza, "out"))


ROUTES = [widget, clock_in, clock_out]
