"""The desk's notices page (/notices): the list with its read figures, the editor, the
approval (four eyes), and who has not read a published notice."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.services import attempt
from services.console.notices import domain
from services.console.notices import services as notices


def _choice(value: str | None) -> str:
    return value if value in domain.STATUS_FILTERS else ""


async def _list(request: Request, **extra) -> dict:
    choice = _choice(request.query_params.get("status"))
    items = await notices.notices(request.state.calls, request.state.plaza, choice)
    to_approve = domain.reminders_to_approve(items, request.state.roles, request.state.principal.sub)
    return {"items": items, "choice": choice, "d": domain, "refused": None, "typed": {}, "to_approve": to_approve,
            "outcome": None, "approval_refused": None, **extra}


@get("/notices", include_in_schema=False)
async def list_page(request: Request) -> Template:
    return Template("notices/list.html", context=await _list(request))


@post("/notices", include_in_schema=False)
async def write(request: Request) -> Response:
    """Refused, the list again with the problem beside the editor and what was typed kept."""
    form = await request.form()
    typed = {k: form.get(k) for k in ("kind", "title", "body", "buildings", "floors", "units", "occupant_kind",
                                      "key_account", "open_renovation", "arrears_over_days", "work_order_id",
                                      "due_date", "urgent")}
    typed["channels"] = form.getall("channels", [])
    result: dict = {}

    async def call() -> None:
        result.update(await notices.write(request.state.calls, request.state.plaza, typed))

    refused = await attempt(call())
    if refused is None:
        return Redirect(f"/notices/{quote(result['id'], safe='')}", status_code=303)
    return Template("notices/list.html", context=await _list(request, refused=refused, typed=typed),
                    status_code=refused.status)


@post("/notices/approvals", include_in_schema=False)
async def approve_many(request: Request) -> Response:
    """The payment reminders the list offered, approved at once: the list again, saying how
    many went out and which did not, and why."""
    form = await request.form()
    notice_ids = [str(x) for x in form.getall("notice_id", []) if x][:200]
    if not notice_ids:
        return Redirect("/notices", status_code=303)
    answer: dict = {}

    async def call() -> None:
        answer.update(await notices.approve_many(request.state.calls, request.state.plaza, notice_ids))

    refused = await attempt(call())
    context = await _list(request, approval_refused=refused)
    if refused is None:
        context["outcome"] = domain.approvals_outcome(answer, context["items"])
    return Template("notices/list.html", context=context, status_code=refused.status if refused else 200)


async def _detail(request: Request, notice_id: str, **extra) -> dict:
    found = await notices.notice(request.state.calls, request.state.plaza, notice_id)
    me = request.state.principal.sub
    return {**found, "d": domain, "offered": domain.offered(found["notice"], request.state.roles, me),
            "refused": None, **extra}


@get("/notices/{notice_id:str}", include_in_schema=False)
async def detail_page(request: Request, notice_id: str) -> Template:
    return Template("notices/detail.html", context=await _detail(request, notice_id))


@post("/notices/{notice_id:str}/decision", include_in_schema=False)
async def decide(request: Request, notice_id: str) -> Response:
    form = await request.form()
    action = form.get("action")
    if action not in ("submit", "approve", "reject"):
        action = "submit"
    refused = await attempt(notices.decide(request.state.calls, request.state.plaza, notice_id, action,
                                           form.get("reason")))
    if refused is None:
        return Redirect(f"/notices/{quote(notice_id, safe='')}", status_code=303)
    return Template("notices/detail.html", context=await _detail(request, notice_id, refused=refused),
                    status_code=refused.status)


ROUTES = [list_page, write, approve_many, detail_page, decide]
