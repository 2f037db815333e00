"""交房/装修: handover days and bookings, the inspection with its defects, and renovation
permits step by step. Routes only translate."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.domain import UpstreamError
from services.console.i18n.domain import DEFAULT_TZ, N_
from services.console.movein import domain
from services.console.movein import services as movein


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(DEFAULT_TZ)).date()


def _ctx(request: Request, **values) -> dict:
    return {"d": domain, "roles": request.state.roles, "key": uuid.uuid4().hex, "errors": {}, "form": {}, **values}


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _refused(exc: UpstreamError) -> dict[str, str]:
    if exc.status in (401, 403):
        raise exc
    return {exc.field or "form": exc.detail}


@get("/move-in", include_in_schema=False)
async def handover(request: Request, day: str | None = None) -> Template:
    chosen = domain.day_of(day, _today())
    summary, appointments = await movein.handover_day(request.state.calls, request.state.plaza, chosen.isoformat())
    return Template("movein/handover.html", context=_ctx(
        request, day=chosen, days=domain.days(_today()), summary=summary, appointments=appointments,
        form={"date": chosen.isoformat()}))


@post("/move-in/appointments", include_in_schema=False)
async def book(request: Request) -> Response:
    form = await _form(request)
    body = {"unit": form.get("unit", "").strip(), "date": form.get("date", "")}
    if form.get("contact_name") or form.get("contact_phone"):
        body["contact"] = {k: v for k in ("name", "phone") if (v := form.get(f"contact_{k}", "").strip())}
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    try:
        await movein.book(request.state.calls, request.state.plaza, body, form.get("key") or uuid.uuid4().hex)
        return Redirect(f"/move-in?day={body['date']}", status_code=303)
    except UpstreamError as exc:
        errors = _refused(exc)
    chosen = domain.day_of(body["date"], _today())
    summary, appointments = await movein.handover_day(request.state.calls, request.state.plaza, chosen.isoformat())
    return Template("movein/handover.html", status_code=422, context=_ctx(
        request, day=chosen, days=domain.days(_today()), summary=summary, appointments=appointments,
        form=form, errors=errors))


@post("/move-in/appointments/{appointment_id:str}/cancel", include_in_schema=False)
async def cancel(request: Request, appointment_id: str) -> Response:
    form = await _form(request)
    found = await movein.cancel(request.state.calls, request.state.plaza, appointment_id,
                                form.get("reason", "").strip() or None, form.get("key") or uuid.uuid4().hex)
    return Redirect(f"/move-in?day={found['date']}", status_code=303)


@get("/move-in/appointments/{appointment_id:str}", include_in_schema=False)
async def appointment(request: Request, appointment_id: str) -> Template:
    found = await movein.appointment(request.state.calls, request.state.plaza, appointment_id)
    return Template("movein/appointment.html", context=_ctx(request, a=found))


@post("/move-in/appointments/{appointment_id:str}/inspection", include_in_schema=False)
async def inspect(request: Request, appointment_id: str) -> Response:
    form = await _form(request)
    defects, errors = domain.defects_from(form)
    if not errors:
        body = {"accepted": form.get("accepted") == "yes", "defects": defects}
        if form.get("inspector", "").strip():
            body["inspector"] = form["inspector"].strip()
        try:
            await movein.inspect(request.state.calls, request.state.plaza, appointment_id, body,
                                 form.get("key") or uuid.uuid4().hex)
            return Redirect(f"/move-in/appointments/{appointment_id}", status_code=303)
        except UpstreamError as exc:
            errors = _refused(exc)
    found = await movein.appointment(request.state.calls, request.state.plaza, appointment_id)
    return Template("movein/appointment.html", status_code=422,
                    context=_ctx(request, a=found, form=form, errors=errors, key=form.get("key")))


@get("/move-in/renovations", include_in_schema=False)
async def renovations(request: Request, status: str | None = None, cursor: str | None = None) -> Template:
    page = await movein.renovations(request.state.calls, request.state.plaza, status or None, cursor=cursor)
    return Template("movein/renovations.html", context=_ctx(request, page=page, status=status or ""))


@get("/move-in/renovations/new", include_in_schema=False)
async def new_renovation(request: Request, unit: str = "") -> Template:
    return Template("movein/renovation_new.html", context=_ctx(request, form={"unit": unit}))


@post("/move-in/renovations", include_in_schema=False)
async def apply(request: Request) -> Response:
    form = await _form(request)
    deposit = domain.yuan_to_fen(form.get("deposit"))
    errors: dict[str, str] = {} if deposit is not None else {"deposit_fen": N_("Give the deposit in yuan")}
    body = {"unit": form.get("unit", "").strip(), "contractor": form.get("contractor", "").strip(),
            "start": form.get("start", ""), "end": form.get("end", ""), "deposit_fen": deposit or 0,
            "description": form.get("description", "").strip()}
    if form.get("worker_name", "").strip():
        body["workers"] = [{"name": form["worker_name"].strip(),
                            **({"phone": p} if (p := form.get("worker_phone", "").strip()) else {})}]
    if not errors:
        try:
            made = await movein.apply(request.state.calls, request.state.plaza, body, form.get("key") or uuid.uuid4().hex)
            return Redirect(f"/move-in/renovations/{made['id']}", status_code=303)
        except UpstreamError as exc:
            errors = _refused(exc)
    return Template("movein/renovation_new.html", status_code=422,
                    context=_ctx(request, form=form, errors=errors, key=form.get("key")))


@get("/move-in/renovations/{renovation_id:str}", include_in_schema=False)
async def renovation(request: Request, renovation_id: str) -> Template:
    found = await movein.renovation(request.state.calls, request.state.plaza, renovation_id)
    return Template("movein/renovation.html", context=_ctx(request, r=found))


@post("/move-in/renovations/{renovation_id:str}/{action:str}", include_in_schema=False)
async def step(request: Request, renovation_id: str, action: str) -> Response:
    form = await _form(request)
    step_ = next((s for s, path in domain.STEP_PATHS.items() if path == action), None)
    body: dict = {"note": n} if (n := form.get("note", "").strip()) else {}
    errors: dict[str, str] = {}
    if step_ == "review":
        body["decision"] = "reject" if form.get("decision") == "reject" else "approve"
    elif step_ == "final_inspection":
        deduction = domain.yuan_to_fen(form.get("deduction"))
        if deduction is None:
            errors["deduction_fen"] = N_("Give the deduction in yuan")
        body.update(passed=form.get("passed") == "yes", deduction_fen=deduction or 0)
        if form.get("deduction_reason", "").strip():
            body["deduction_reason"] = form["deduction_reason"].strip()
    elif step_ is None:
        errors["form"] = N_("Not found")
    if not errors:
        try:
            await movein.step(request.state.calls, request.state.plaza, renovation_id, action, body,
                              form.get("key") or uuid.uuid4().hex)
            return Redirect(f"/move-in/renovations/{renovation_id}", status_code=303)
        except UpstreamError as exc:
            errors = _refused(exc)
    found = await movein.renovation(request.state.calls, request.state.plaza, renovation_id)
    return Template("movein/renovation.html", status_code=422,
                    context=_ctx(request, r=found, form=form, errors=errors, failed=step_))


ROUTES = [handover, book, cancel, appointment, inspect, renovations, new_renovation, apply, renovation, step]
