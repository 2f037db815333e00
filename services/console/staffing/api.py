"""The staffing page (/staffing) of the supervisor and the manager: roster, approvals,
training, post records to sign off, the month's report."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.services import attempt
from services.console.staffing import domain
from services.console.staffing import services as staffing


async def _context(request: Request, **extra) -> dict:
    day = request.query_params.get("day") or domain.today()
    month = request.query_params.get("month") or domain.this_month()
    found = await staffing.overview(request.state.calls, request.state.plaza, day, month)
    return {**found, "day": day, "month": month, "d": domain, "refused": None,
            "may_decide": domain.may_decide(request.state.roles), **extra}


async def _answer(request: Request, call) -> Response:
    refused = await attempt(call)
    if refused is None:
        return Redirect("/staffing", status_code=303)
    return Template("staffing/index.html", context=await _context(request, refused=refused),
                    status_code=refused.status)


@get("/staffing", include_in_schema=False)
async def staffing_page(request: Request) -> Template:
    return Template("staffing/index.html", context=await _context(request))


@post("/staffing/swaps/{swap_id:str}/{decision:str}", include_in_schema=False)
async def swap_decision(request: Request, swap_id: str, decision: str) -> Response:
    return await _answer(request, staffing.decide_swap(request.state.calls, request.state.plaza, swap_id,
                                                       decision == "approve"))


@post("/staffing/rotation/{plan_id:str}/{decision:str}", include_in_schema=False)
async def plan_decision(request: Request, plan_id: str, decision: str) -> Response:
    form = await request.form()
    return await _answer(request, staffing.decide_plan(request.state.calls, request.state.plaza, plan_id,
                                                       decision == "approve", form.get("comment") or None))


@post("/staffing/records/{username:str}/{day:str}/review", include_in_schema=False)
async def sign_off(request: Request, username: str, day: str) -> Response:
    form = await request.form()
    return await _answer(request, staffing.sign_off(request.state.calls, request.state.plaza, username, day,
                                                    form.get("comment") or None))


ROUTES = [staffing_page, swap_decision, plan_decision, sign_off]
