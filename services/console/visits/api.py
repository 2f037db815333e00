"""The return-visit worklist (/visits): today's pending and overdue visits, answered in
two clicks; the answer's outcome (the job sent back) shown at once and kept live."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.domain import UpstreamError
from services.console.visits import domain
from services.console.visits import services as visits
from services.console.work_orders import domain as work_orders


def _context(**values) -> dict:
    return {"d": domain, "wo": work_orders, **values}


@get("/visits", include_in_schema=False)
async def worklist_page(request: Request) -> Template:
    items = await visits.worklist(request.state.calls, request.state.plaza)
    return Template("visits/index.html", context=_context(items=items))


@get("/visits/rows", include_in_schema=False)
async def worklist_rows(request: Request) -> Template:
    items = await visits.worklist(request.state.calls, request.state.plaza)
    return Template("visits/rows.html", context=_context(items=items))


@get("/visits/{visit_id:str}/outcome", include_in_schema=False)
async def visit_outcome(request: Request, visit_id: str) -> Template:
    found = await visits.outcome(request.state.calls, request.state.plaza, visit_id)
    return Template("visits/answered.html", context=_context(**found))


@post("/visits/{visit_id:str}/response", include_in_schema=False)
async def respond(request: Request, visit_id: str) -> Response:
    """The rating button: recorded with the channel chosen; refused, the service's problem
    is shown on that visit's card (what was typed stays in the form)."""
    form = await request.form()
    typed = {k: form.get(k) for k in ("rating", "channel", "comment")}
    htmx = bool(request.headers.get("hx-request"))
    try:
        found = await visits.answer(request.state.calls, request.state.plaza, visit_id, typed)
    except domain.FormRefused as exc:
        refused = exc.problem()
    except UpstreamError as exc:
        if exc.status == 401 or not htmx:
            raise
        refused = exc
    else:
        if not htmx:
            return Redirect("/visits", status_code=303)
        return Template("visits/answered.html", context=_context(**found, remove=visit_id))
    return Template("visits/problem.html", context=_context(refused=refused), status_code=refused.status,
                    headers={"HX-Retarget": f"#problem-{visit_id}", "HX-Reswap": "innerHTML"})


ROUTES = [worklist_page, worklist_rows, visit_outcome, respond]
