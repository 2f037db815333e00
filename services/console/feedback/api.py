"""The suggestions and praise page (/feedback): the manager's follow-up of each suggestion
and the praise each department received."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.feedback import domain
from services.console.feedback import services as feedback
from services.console.gateway.services import attempt


def _choice(value: str | None) -> str:
    return value if value in domain.STATE_FILTERS else ""


async def _suggestions(request: Request, choice: str, **extra) -> dict:
    found = await feedback.suggestions(request.state.calls, request.state.plaza, choice, request.state.roles,
                                       keep=extra.get("refused_id"))
    return {**found, "tab": "suggestions", "choice": choice, "d": domain,
            "refused": None, "refused_id": None, "typed": {}, **extra}


@get("/feedback", include_in_schema=False)
async def suggestions_page(request: Request) -> Template:
    choice = _choice(request.query_params.get("state"))
    return Template("feedback/suggestions.html", context=await _suggestions(request, choice))


@post("/feedback/suggestions/{request_id:str}/follow-up", include_in_schema=False)
async def follow_up(request: Request, request_id: str) -> Response:
    """Refused, the page again with the problem next to that suggestion's form and what was
    typed kept."""
    form = await request.form()
    typed = {k: form.get(k) for k in ("state", "reply", "note", "shown")}
    choice = _choice(typed["shown"])
    refused = await attempt(feedback.follow_up(request.state.calls, request.state.plaza, request_id, typed))
    if refused is None:
        query = f"?state={choice}" if choice else ""
        return Redirect(f"/feedback{query}#s-{quote(request_id)}", status_code=303)
    context = await _suggestions(request, choice, refused=refused, refused_id=request_id, typed=typed)
    return Template("feedback/suggestions.html", context=context, status_code=refused.status)


@get("/feedback/praise", include_in_schema=False)
async def praise_page(request: Request) -> Template:
    department = request.query_params.get("department") or ""
    month = request.query_params.get("month") or ""
    found = await feedback.praise(request.state.calls, request.state.plaza, department or None, month or None)
    return Template("feedback/praise.html", context={**found, "tab": "praise", "department": department,
                                                     "month": month, "d": domain})


ROUTES = [suggestions_page, follow_up, praise_page]
