"""The escalation inbox (/escalations) of the supervisor and the manager, kept live."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from services.console.escalations import domain
from services.console.escalations import services as escalations
from services.console.work_orders import domain as work_orders


async def _context(request: Request) -> dict:
    level = request.query_params.get("level") or ""
    items = await escalations.inbox(request.state.calls, request.state.plaza, level, request.state.roles)
    return {"items": items, "level": level, "d": domain, "wo": work_orders,
            "prefer": domain.preferred_level(request.state.roles)}


@get("/escalations", include_in_schema=False)
async def inbox_page(request: Request) -> Template:
    return Template("escalations/index.html", context=await _context(request))


@get("/escalations/rows", include_in_schema=False)
async def inbox_rows(request: Request) -> Template:
    context = await _context(request)
    return Template("escalations/rows.html", context=context,
                    headers={"HX-Replace-Url": "/escalations" + (f"?level={context['level']}" if context["level"] else "")})


ROUTES = [inbox_page, inbox_rows]
