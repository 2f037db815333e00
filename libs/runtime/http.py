"""HTTP plumbing shared by the five APIs: RFC 9457 problem details, health/ready/metrics,
plaza-scoped path parameters and per-request log context."""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog
from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, HTTPException, NotFoundException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.errors import DomainError, NotFound

logger = log.get("http")
PROBLEM = "application/problem+json"


class Page(msgspec.Struct, kw_only=True):
    items: list[Any]
    next: str | None = None


def problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(content=body, status_code=status, media_type=PROBLEM)


def _domain_error(request: Request, exc: DomainError) -> Response:
    return problem(exc.status, exc.title, exc.detail, request.url.path, field=exc.field)


def _invalid_token(request: Request, exc: InvalidToken) -> Response:
    return problem(422, "Invalid identifier", str(exc), request.url.path, field=getattr(exc, "what", None))


def _validation(request: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = item.get("key") or ""
            missing = re.search(r"missing required field `([^`]+)`", str(item.get("message", "")))
            if missing:
                key = f"{key.removeprefix('data').removeprefix('$')}.{missing.group(1)}".lstrip(".")
            errors.append({"field": key.removeprefix("$.") if key else None, "message": item.get("message"), "source": item.get("source")})
    fields = [e["field"] for e in errors if e.get("field")]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors) or exc.detail
    return problem(
        400, "Invalid request", detail, request.url.path,
        field=fields[0] if fields else None, errors=errors or None,
    )


def _http(request: Request, exc: HTTPException) -> Response:
    detail = exc.detail
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return problem(exc.status_code, _reason(exc.status_code), detail, request.url.path)


def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("http_unhandled", path=request.url.path)
    return problem(500, "Internal Server Error", "the request failed; nothing was recorded", request.url.path)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS = {
    DomainError: _domain_error,
    InvalidToken: _invalid_token,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}


class OutOfRange(DomainError):
    status = 400
    title = "Invalid request"


class ApiRequest(Request):
    """Litestar's request, refusing with 400 two JSON bodies that used to fail as 500s: one
    nested deeper than the decoder follows (msgspec stops at the interpreter's recursion
    limit, about a thousand levels: a RecursionError), and one with an integer no database
    column holds (beyond 64 bits: an OverflowError when it was stored)."""

    async def json(self) -> Any:
        try:
            body = await super().json()
        except RecursionError:
            raise ClientException("the JSON body is nested too deeply to be read") from None
        where = _huge_integer(body)
        if where is not None:
            raise OutOfRange(f"{where}: integers must lie within ±2^63", field=where)
        return body


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _huge_integer(value: Any) -> str | None:
    """The path of the first integer outside 64 bits in a decoded JSON value, if any (a
    loop, not recursion: the value may be nested up to the decoder's limit)."""
    pending = [("", value)]
    while pending:
        path, item = pending.pop()
        kind = type(item)
        if kind is int:
            if not _INT64_MIN <= item <= _INT64_MAX:
                return path or "body"
        elif kind is dict:
            pending.extend((f"{path}.{k}" if path else str(k), v) for k, v in item.items())
        elif kind is list:
            pending.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
    return None


class RequestContext(ASGIMiddleware):
    """Binds the correlation id and plaza to every log line of the request; times it."""

    def __init__(self, service: str) -> None:
        self.service = service

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = dict(scope.get("headers") or [])
        parts = scope["path"].split("/")
        plaza = parts[3] if len(parts) > 3 and parts[2] == "plazas" else None
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            plaza_id=plaza,
            correlation_id=headers.get(b"x-correlation-id", b"").decode() or None,
        )
        status = {"code": 500}

        async def _send(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await next_app(scope, receive, _send)
        finally:
            metrics.HTTP_REQUESTS.labels(self.service, scope["method"], status["code"]).observe(
                time.perf_counter() - start
            )


def plaza_token(plaza: str) -> str:
    return validate_token(plaza, "plaza")


# A route whose plaza may not exist yet (archive's registration of a plaza) says so in its opt.
PLAZA_MAY_BE_NEW = "plaza_may_be_new"
KNOWN_PLAZAS_MAX = 100_000


def known_plaza_guard(db, plazas: sa.Table):
    """One rule for every service: a route under /v1/plazas/{plaza} answers 404 naming the
    plaza when the service has no such plaza (its copy of archive's plazas; archive's own
    register in archive), before it reads or writes anything, lists and writes alike.
    Plazas are never removed, so one seen is remembered and the common case asks nothing."""
    known: set[str] = set()
    exists = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == sa.bindparam("plaza_id"))

    async def known_plaza(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        plaza = connection.path_params.get("plaza")
        if plaza is None or plaza in known or handler.opt.get(PLAZA_MAY_BE_NEW):
            return
        async with db.read() as conn:
            found = (await conn.execute(exists, {"plaza_id": plaza})).first() is not None
        if not found:
            raise NotFound(f"plaza {plaza!r} is not registered (PUT /v1/plazas/{plaza} in archive)", field="plaza")
        if len(known) >= KNOWN_PLAZAS_MAX:
            known.clear()
        known.add(plaza)

    return known_plaza


def ops_routes(ready_check):
    @get("/health", sync_to_thread=False, include_in_schema=False)
    def health() -> dict:
        return {"status": "ok"}

    @get("/ready", include_in_schema=False)
    async def ready() -> Response:
        checks = await ready_check()
        ok = all(checks.values())
        return Response({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)

    @get("/metrics", sync_to_thread=False, include_in_schema=False)
    def metrics_() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [health, ready, metrics_]


def iso(value) -> str | None:
    """UTC ISO 8601 with a 'Z', as the public API promises."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


# --- the /schema pages -------------------------------------------------------------------
DOCS_PATH = "/schema"
DOCS_ASSETS = f"{DOCS_PATH}/assets"


def openapi_config(title: str, version: str) -> OpenAPIConfig:
    """/schema is Swagger UI with the script and style the service serves itself (from the
    swagger-ui-py package, see ``docs_assets``): the page works on a desk with no internet,
    where Litestar's default pages load Redoc and a favicon from a CDN."""
    return OpenAPIConfig(
        title=title, version=version, path=DOCS_PATH,
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            ),
            YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
        ],
    )


def docs_assets() -> Router:
    """Swagger UI's files, as shipped in the swagger-ui-py package (found without importing
    it: only its static folder is used)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: it serves the /schema pages")
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    return create_static_files_router(path=DOCS_ASSETS, directories=[static], include_in_schema=False)
