"""The work-order pages: the live queue (/work-orders, its rows for the live refresh) and a
work order's page with the actions its status and the person's role allow."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.services import attempt
from services.console.work_orders import domain
from services.console.work_orders import services as work_orders

FILTERS = ("status", "department", "deadline")


def _filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k) or "" for k in FILTERS}


def _only(request: Request) -> str | None:
    return request.state.principal.department_only(request.state.plaza)


async def _queue(request: Request) -> dict:
    chosen = _filters(request)
    only = _only(request)
    department = only or chosen["department"]
    found = await work_orders.queue(request.state.calls, request.state.plaza, chosen["status"], department,
                                    chosen["deadline"])
    rows, more = domain.shown(found)
    return {"rows": rows, "more": more, "chosen": chosen, "query": urlencode(chosen), "d": domain,
            "departments": domain.departments_offered(only, [r["department"] for r in rows]), "only": only}


@get("/work-orders", include_in_schema=False)
async def queue_page(request: Request) -> Template:
    return Template("work_orders/index.html", context=await _queue(request))


@get("/work-orders/rows", include_in_schema=False)
async def queue_rows(request: Request) -> Template:
    """The queue's rows: after a filter change, and whenever a work order changes (live)."""
    context = await _queue(request)
    return Template("work_orders/rows.html", context=context,
                    headers={"HX-Replace-Url": "/work-orders?" + context["query"]})


async def _page(request: Request, work_order_id: str, **extra) -> dict:
    found = await work_orders.page_of(request.state.calls, request.state.plaza, work_order_id, request.state.roles)
    return {**found, "d": domain, "refused": None, "refused_action": None, "typed": {}, **extra}


@get("/work-orders/{work_order_id:str}", include_in_schema=False)
async def work_order_page(request: Request, work_order_id: str) -> Template:
    return Template("work_orders/detail.html", context=await _page(request, work_order_id))


@post("/work-orders/{work_order_id:str}/{action:str}", include_in_schema=False)
async def act(request: Request, work_order_id: str, action: str) -> Response:
    """One action's form; refused, the page again with the problem next to that form and
    what was typed kept."""
    if action not in domain.ACTIONS:
        return Response({"detail": f"no action {action!r}"}, status_code=404)
    form = await request.form()
    typed = {k: form.get(k) for k in form.keys()}
    typed["sku"], typed["quantity"] = form.getall("sku", []), form.getall("quantity", [])
    refused = await attempt(work_orders.act(request.state.calls, request.state.plaza, work_order_id, action, typed))
    if refused is None:
        return Redirect(f"/work-orders/{work_order_id}", status_code=303)
    context = await _page(request, work_order_id, refused=refused, refused_action=action, typed=typed)
    return Template("work_orders/detail.html", context=context, status_code=refused.status)


ROUTES = [queue_page, queue_rows, work_order_page, act]
