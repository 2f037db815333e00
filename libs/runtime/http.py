"""HTTP plumbing shared by the five APIs: RFC 9457 problem details, health/ready/metrics,
plaza-scoped path parameters, per-request log context, and what a request may carry
(its query parameters; the words of a body's validation errors)."""

from __future__ import annotations

import enum
import importlib.util
import re
import time
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import sqlalchemy as sa
import structlog
from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import ClientException, HTTPException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.params import BodyKwarg, DependencyKwarg, ParameterKwarg, PathParameter
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import limits
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
            errors.extend(_explained(request, item))
    fields = [e["field"] for e in errors if e.get("field")]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors) or exc.detail
    # A well-formed value over a limit, or text with a control character: 422. A body that
    # does not fit the type (wrong type, missing or unknown field, a value not allowed): 400.
    statuses = {e.pop("status") for e in errors}
    status = 422 if statuses == {422} else 400
    return problem(
        status, "Invalid input" if status == 422 else "Invalid request", detail, request.url.path,
        field=fields[0] if fields else None, errors=errors or None,
    )


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Response:
    handler = request.scope.get("route_handler")
    limit = handler.resolve_request_max_body_size() if handler is not None else None
    detail = f"the request body is larger than {limits.size_text(limit)}, the most this endpoint takes" if limit else exc.detail
    return problem(413, "Content Too Large", detail, request.url.path, limit_bytes=limit)


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
    RequestEntityTooLarge: _too_large,
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


def ops_routes(ready_check, health_check=None):
    """/health (liveness: ``health_check``, e.g. can the service still publish), /ready
    (``ready_check``: can it serve now) and /metrics."""

    @get("/health", sync_to_thread=False, include_in_schema=False)
    def health() -> Response:
        checks = health_check() if health_check else {}
        ok = all(checks.values())
        return Response({"status": "ok" if ok else "failing", "checks": checks}, status_code=200 if ok else 503)

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


# --- what a request may carry ------------------------------------------------------------
# A body's errors come from msgspec through Litestar as {"key", "message", "source"}; they
# are reworded here with what the route's types say: the values an enum allows, the limit
# a value is over, every unknown field of the body and the fields it does take.

_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_ENUM = re.compile(r"^Invalid enum value (.+)$")
_LENGTH = re.compile(r"^Expected `(str|array|object)` of length <= (\d+)$")
_PATTERN = re.compile(r"^Expected `str` matching regex ")
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+|\.\.\.)\]")
_ITEM = object()
_UNITS = {"str": "characters", "array": "items", "object": "entries"}
_MOST_UNKNOWN = 20


def _explained(request: Request, item: dict) -> list[dict]:
    key = str(item.get("key") or "")
    message = str(item.get("message", ""))
    source = item.get("source")
    path = "" if key in ("data", "$") else key.removeprefix("data.").removeprefix("$.").removeprefix("$")
    missing = _MISSING.search(message)
    if missing:
        path = _join(path, missing.group(1))
    root, path, steps = _root(request, source, path)
    unknown = _UNKNOWN.search(message)
    if unknown:
        return _unknown_fields(request, root, _join(path, unknown.group(1)), source)
    error = {"field": path or None, "message": message, "source": source, "status": 400}
    candidates = _types_at(root, steps)
    not_allowed, length = _ENUM.match(message), _LENGTH.match(message)
    if not_allowed and (values := _allowed(candidates)):
        error.update(message=f"{not_allowed.group(1)} is not one of {', '.join(map(str, values))}", allowed=values)
    elif length:
        limit, units = int(length.group(2)), _UNITS[length.group(1)]
        value = _value_at(request, path) if source == "body" else None
        said = f"{len(value)} {units}, at most {limit}" if isinstance(value, (str, list, dict)) else f"at most {limit} {units}"
        error.update(message=said, limit=limit, status=422)
    elif _PATTERN.match(message) and (multiline := _multiline(candidates)) is not None:
        value = _value_at(request, path) if source == "body" else None
        found = limits.control_character(value, multiline=multiline) if isinstance(value, str) else None
        what = f"the control character {found}" if found else "a control character"
        allowed = "only line breaks and tabs are allowed" if multiline else "this field takes one line of text"
        error.update(message=f"contains {what}; {allowed}", status=422)
    return [error]


def _root(request: Request, source: str | None, path: str) -> tuple[Any, str, list]:
    """The type the error's path starts from (the body's, or a parameter's), the path as the
    API names it (a query parameter by its name in the query), and the steps into the type."""
    handler = request.scope.get("route_handler")
    params = handler.parsed_fn_signature.parameters if handler is not None else {}
    steps = [m.group(1) if m.group(1) is not None else _ITEM for m in _STEP.finditer(path)]
    if source == "body":
        data = params.get("data")
        return (data.annotation if data else None), path, steps
    name, _, rest = path.partition(".")
    param = params.get(name)
    if param is None:
        return None, path, []
    public = getattr(param.kwarg_definition, "query", None) or name
    return param.annotation, _join(public, rest) if rest else public, steps[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _types_at(root: Any, steps: list) -> list:
    """The types (Annotated kept) a path into ``root`` may lead to; [] when none is known."""
    found = _members(root) if root is not None else []
    for step in steps:
        found = [m for t in found for inner in _inside(t, step) for m in _members(inner)]
    return found


def _members(t: Any) -> list:
    """A type's alternatives: ``X | None`` → [X, None]."""
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(t) for m in _members(arg)]
    return [t]


def _bare(t: Any) -> Any:
    return typing.get_args(t)[0] if typing.get_origin(t) is Annotated else t


def _struct(t: Any) -> type | None:
    bare = _bare(t)
    return bare if isinstance(bare, type) and issubclass(bare, msgspec.Struct) else None


def _inside(t: Any, step: Any) -> list:
    bare, struct = _bare(t), _struct(t)
    if struct is not None:
        return [] if step is _ITEM else [f.type for f in msgspec.structs.fields(struct) if f.encode_name == step]
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    if origin is dict and len(args) == 2:
        return [args[1]]
    if origin in (list, set, frozenset, tuple) and args and step is _ITEM:
        return [args[0]]
    return []


def _allowed(candidates: list) -> list | None:
    for t in candidates:
        bare = _bare(t)
        if typing.get_origin(bare) is Literal:
            return list(typing.get_args(bare))  # in the order the type declares them
        if isinstance(bare, type) and issubclass(bare, enum.Enum):
            return [m.value for m in bare]
    return None


def _multiline(candidates: list) -> bool | None:
    for t in candidates:
        if typing.get_origin(t) is Annotated:
            for meta in typing.get_args(t)[1:]:
                if isinstance(meta, msgspec.Meta) and meta.pattern in limits.PATTERNS:
                    return limits.PATTERNS[meta.pattern]
    return None


def _body_json(request: Request) -> Any:
    """The request's JSON as Litestar decoded it for the handler (None if it did not).
    Litestar keeps it in the scope's state, read here because an exception handler cannot
    await ``request.json()``; the tests that name every unknown field pin this."""
    value = ScopeState.from_scope(request.scope).json
    return None if value is Empty else value


def _value_at(request: Request, path: str) -> Any:
    """The body's value at ``path`` (None where the path cannot be followed)."""
    value = _body_json(request)
    for step in _STEP.finditer(path):
        name, index = step.groups()
        if isinstance(value, dict) and name is not None:
            value = value.get(name)
        elif isinstance(value, list) and index is not None and index.isdigit() and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def _unknown_fields(request: Request, root: Any, reported: str, source: str | None) -> list[dict]:
    """Every unknown field of the body (msgspec stops at the first), each with its path, and
    for each struct once what it does take."""
    found: list[tuple[str, tuple]] = []
    if root is not None and source == "body":
        _collect_unknown(root, _body_json(request), "", found)
    if reported not in [path for path, _ in found]:
        found = [(reported, ())]
    errors, told = [], set()
    for path, takes in found[:_MOST_UNKNOWN]:
        where = path.rpartition(".")[0] or "the body"
        message = "unknown field"
        if takes and where not in told:
            told.add(where)
            message += f" ({where} takes {', '.join(takes)})"
        errors.append({"field": path, "message": message, "source": source, "status": 400})
    return errors


def _collect_unknown(t: Any, value: Any, prefix: str, found: list) -> None:
    for member in _members(t):
        struct, bare = _struct(member), _bare(member)
        origin, args = typing.get_origin(bare), typing.get_args(bare)
        if struct is not None and isinstance(value, dict):
            fields = {f.encode_name: f.type for f in msgspec.structs.fields(struct)}
            for key, item in value.items():
                if key in fields:
                    _collect_unknown(fields[key], item, _join(prefix, key), found)
                elif struct.__struct_config__.forbid_unknown_fields:
                    found.append((_join(prefix, str(key)), tuple(fields)))
            return
        if origin in (list, tuple) and args and isinstance(value, list):
            for n, item in enumerate(value):
                _collect_unknown(args[0], item, f"{prefix}[{n}]", found)
            return
        if origin is dict and len(args) == 2 and isinstance(value, dict):
            for item in value.values():
                _collect_unknown(args[1], item, f"{prefix}[...]", found)
            return


_QUERY_NAMES: dict[Any, tuple[str, ...]] = {}


async def refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is refused (400 naming it and what the route
    takes): a typo (``stauts=``, ``format=`` on a report without formats) would otherwise
    change the answer silently."""
    if not request.scope.get("query_string"):
        return
    handler = request.scope["route_handler"]
    takes = _QUERY_NAMES.get(handler)
    if takes is None:
        takes = _QUERY_NAMES[handler] = _query_names(handler)
    unknown = [name for name in request.query_params if name not in takes]
    if unknown:
        what = f"it takes {', '.join(takes)}" if takes else "it takes no query parameters"
        raise ValidationException(
            detail="unknown query parameter",
            extra=[{"key": name, "message": f"not a parameter of this route; {what}", "source": "query"} for name in unknown],
        )


def _query_names(handler) -> tuple[str, ...]:
    dependencies = handler.resolve_dependencies()
    names = []
    for name, param in handler.parsed_fn_signature.parameters.items():
        kwarg = param.kwarg_definition
        if name in RESERVED_KWARGS or name in dependencies or isinstance(kwarg, (DependencyKwarg, BodyKwarg, PathParameter)):
            continue
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.header or kwarg.cookie:
                continue
            name = kwarg.query or name
        names.append(name)
    return tuple(names)


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
