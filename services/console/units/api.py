"""档案: the register, the unit card, its edit and revisions, documents, import and export.
Routes only translate."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.domain import UpstreamError
from services.console.i18n.domain import N_
from services.console.units import domain
from services.console.units import services as units


def _ctx(request: Request, **values) -> dict:
    roles = request.state.roles
    return {"d": domain, "may_edit": domain.may(roles, domain.EDITORS),
            "may_import": domain.may(roles, domain.IMPORTERS), "may_export": domain.may(roles, domain.EXPORTERS),
            **values}


@get("/units", include_in_schema=False)
async def index(request: Request, q: str = "", cursor: str | None = None) -> Template:
    page = await units.list_units(request.state.calls, request.state.plaza, q, cursor)
    template = "units/rows.html" if request.headers.get("hx-request") and not request.headers.get("hx-boosted") else "units/index.html"
    return Template(template, context=_ctx(request, page=page, q=q))


@get("/units/{unit:str}", include_in_schema=False)
async def show(request: Request, unit: str) -> Template:
    card, documents, events = await units.unit_card(request.state.calls, request.state.plaza, unit)
    return Template("units/card.html", context=_ctx(request, card=card, u=card.unit, documents=documents,
                                                     events=events, upload_error=None))


@get("/units/{unit:str}/edit", include_in_schema=False)
async def edit_page(request: Request, unit: str) -> Template:
    found = await units.unit(request.state.calls, request.state.plaza, unit)
    return Template("units/edit.html", context=_ctx(request, u=found, form=None, errors={}))


@post("/units/{unit:str}/edit", include_in_schema=False)
async def edit(request: Request, unit: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    body, errors = domain.unit_update(form)
    if not errors:
        try:
            await units.save_unit(request.state.calls, request.state.plaza, unit, body)
            return Redirect(f"/units/{unit}", status_code=303)
        except UpstreamError as exc:
            if exc.status in (401, 403):
                raise
            errors = {exc.field or "form": exc.detail}
    return Template("units/edit.html", context=_ctx(request, u={"unit": unit}, form=form, errors=errors),
                    status_code=422)


@get("/units/{unit:str}/revisions", include_in_schema=False)
async def revisions(request: Request, unit: str) -> Template:
    found = await units.revisions(request.state.calls, request.state.plaza, unit)
    return Template("units/revisions.html", context=_ctx(request, unit=unit, revisions=found))


@post("/units/{unit:str}/documents", include_in_schema=False)
async def attach(request: Request, unit: str) -> Response:
    form = await request.form()
    part = form.get("file")
    error = None
    if part is None or isinstance(part, str) or not part.filename:
        error = N_("Choose a file to upload")
    else:
        try:
            await units.attach_document(request.state.calls, request.state.plaza, unit, data=await part.read(),
                                        filename=part.filename, content_type=part.content_type,
                                        kind=str(form.get("kind") or "other"))
        except UpstreamError as exc:
            if exc.status in (401, 403):
                raise
            error = exc.detail
    if error is None:
        return Redirect(f"/units/{unit}#documents", status_code=303)
    card, documents, events = await units.unit_card(request.state.calls, request.state.plaza, unit)
    return Template("units/card.html", context=_ctx(request, card=card, u=card.unit, documents=documents,
                                                     events=events, upload_error=error), status_code=422)


@get("/units/{unit:str}/documents/{document_id:str}", include_in_schema=False)
async def download(request: Request, unit: str, document_id: str) -> Response:
    r = await units.download(request.state.calls, units.document_path(request.state.plaza, unit, document_id))
    return _file(r)


@get("/units/export.xlsx", include_in_schema=False)
async def export(request: Request) -> Response:
    return _file(await units.download(request.state.calls, units.export_path(request.state.plaza)))


def _file(r) -> Response:
    headers = {k: r.headers[k] for k in ("content-disposition", "etag") if k in r.headers}
    return Response(r.content, media_type=r.headers.get("content-type", "application/octet-stream"), headers=headers)


@get("/units/import", include_in_schema=False)
async def import_page(request: Request) -> Template:
    return Template("units/import.html", context=_ctx(request, report=None, error=None))


@post("/units/import", include_in_schema=False)
async def import_register(request: Request) -> Template:
    form = await request.form()
    part = form.get("file")
    dry_run = str(form.get("dry_run") or "") in ("on", "true", "1")
    template = "units/import_report.html" if request.headers.get("hx-request") else "units/import.html"
    if part is None or isinstance(part, str) or not part.filename:
        return Template(template, context=_ctx(request, report=None, error=N_("Choose a file to upload")), status_code=422)
    try:
        report = await units.import_register(request.state.calls, request.state.plaza, await part.read(),
                                             part.filename, dry_run=dry_run)
    except UpstreamError as exc:
        if exc.status in (401, 403):
            raise
        return Template(template, context=_ctx(request, report=None, error=exc.detail), status_code=422)
    return Template(template, context=_ctx(request, report=report, error=None))


ROUTES = [index, import_page, import_register, export, show, edit_page, edit, revisions, attach, download]
