"""接待台: log a call, walk-in, letter or online message in one screen. Routes only translate."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.response import Template

from services.console.desk import domain
from services.console.desk import services as desk
from services.console.gateway.domain import Unavailable, UpstreamError


def _form_context(request: Request, form: dict | None = None, errors: dict | None = None,
                  key: str | None = None, areas: list | None = None) -> dict:
    return {"form": form or {"channel": "phone", "about": "unit"}, "errors": errors or {},
            "idempotency_key": key or uuid.uuid4().hex, "areas": areas or [], "d": domain}


@get("/desk", include_in_schema=False)
async def desk_page(request: Request, rang_at: str = "") -> Template:
    """``?rang_at=`` (ISO time): the phone system opens the desk as a call rings in, the clock started."""
    areas = await desk.public_areas(request.state.calls, request.state.plaza)
    form = {"channel": "phone", "about": "unit", "call_rang_at": domain.rang_at_given(rang_at)}
    return Template("desk/page.html", context={**_form_context(request, form, areas=areas), "answer": None})


@get("/desk/units", include_in_schema=False)
async def find_units(request: Request, q: str = "") -> Template:
    found = await desk.find_units(request.state.calls, request.state.plaza, q)
    return Template("desk/units.html", context={"found": found, "q": q})


@post("/desk/preview", include_in_schema=False)
async def preview(request: Request) -> Template:
    form = dict(await request.form())
    body = domain.preview_body(str(form.get("text", "")), form.get("kind"),
                               form.get("unit") if form.get("about", "unit") == "unit" else None)
    proposal = await desk.preview(request.state.calls, request.state.plaza, body)
    return Template("desk/proposal.html", context={"proposal": proposal, "d": domain})


@get("/desk/glance", include_in_schema=False)
async def glance(request: Request, unit: str = "") -> Template:
    seen = await desk.glance(request.state.calls, request.state.plaza, unit) if unit else None
    return Template("desk/glance.html", context={"glance": seen, "unit": unit, "d": domain})


@post("/desk/requests", include_in_schema=False)
async def log_request(request: Request) -> Template:
    form = {k: str(v) for k, v in (await request.form()).items()}
    key = form.get("idempotency_key") or uuid.uuid4().hex
    areas = await desk.public_areas(request.state.calls, request.state.plaza)
    template = "desk/panel.html" if request.headers.get("hx-request") else "desk/page.html"
    body, refusals = domain.request_body(form)
    errors = {r.field: r.message for r in refusals}
    if not errors:
        try:
            answer = await desk.log_request(request.state.calls, request.state.plaza, body, key)
        except UpstreamError as exc:
            errors = {exc.field or "form": exc.detail or exc.title}
            # Unanswered, it may have been recorded: the same key makes the retry safe. A refusal
            # recorded nothing, and the corrected form is a new request.
            key = key if isinstance(exc, Unavailable) or exc.status >= 500 else None
            return Template(template, context={**_form_context(request, form, errors, key, areas), "answer": None,
                                               "refused": exc}, status_code=exc.status if exc.status < 500 else 503)
        fresh = {"channel": form.get("channel", "phone"), "about": "unit"}  # the next call starts its own clock
        return Template(template, context={**_form_context(request, fresh, areas=areas), "answer": answer,
                                           "also": domain.also_kinds(answer), "recorded": body})
    return Template(template, context={**_form_context(request, form, errors, key, areas), "answer": None},
                    status_code=422)


@post("/desk/occupant-link", include_in_schema=False)
async def occupant_link(request: Request) -> Template:
    """The occupant's one-time link, shown once in the unit's glance to read out or send."""
    form = await request.form()
    unit, phone = str(form.get("unit", "")), str(form.get("phone", "")) or None
    issued = await desk.occupant_link(request.state.calls, request.state.plaza, unit, phone)
    url = str(request.base_url).rstrip("/") + issued["path"]
    return Template("desk/occupant_link.html", context={"url": url, "expires_at": issued["expires_at"], "unit": unit})


ROUTES = [desk_page, find_units, preview, glance, log_request, occupant_link]
