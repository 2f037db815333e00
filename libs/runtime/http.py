"""HTTP plumbing shared by the five APIs: RFC 9457 problem details, health/ready/metrics,
plaza-scoped path parameters and per-request log context."""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec
import structlog
from litestar import Request, Response, get
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.errors import DomainError

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
