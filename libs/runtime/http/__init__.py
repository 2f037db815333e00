"""HTTP plumbing shared by the five APIs, one concern a module:

- ``problems``: every error as an RFC 9457 problem (Litestar's ProblemDetailsPlugin);
- ``fields``: a bad value of a request worded with the route's own types;
- ``guards``: what a request must pass first (a known plaza, known query parameters, a
  JSON body that can be read and stored);
- ``ops``: /health, /ready, /metrics; ``docs``: the /schema pages.

Here: what routes use (``Page``, ``iso``, ``plaza_token``) and the per-request context.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import structlog
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from libs.contracts.subjects import validate_token
from libs.runtime import metrics, tracing
from libs.runtime.http.docs import docs_assets, openapi_config
from libs.runtime.http.guards import PLAZA_MAY_BE_NEW, ApiRequest, known_plaza_guard, refuse_unknown_query
from libs.runtime.http.ops import ops_routes
from libs.runtime.http.problems import Problem, problem_details

__all__ = [
    "PLAZA_MAY_BE_NEW", "ApiRequest", "Page", "Problem", "RequestContext", "docs_assets", "iso", "known_plaza_guard",
    "openapi_config", "ops_routes", "plaza_token", "problem_details", "refuse_unknown_query",
]


class Page(msgspec.Struct, kw_only=True):
    items: list[Any]
    next: str | None = None

    @classmethod
    def of(cls, items: list, limit: int, key: str = "id") -> "Page":
        """A keyset page: a full page names its last item's key as the next cursor."""
        return cls(items=items, next=getattr(items[-1], key) if len(items) == limit else None)


def iso(value) -> str | None:
    """UTC ISO 8601 with a 'Z', as the public API promises."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def plaza_token(plaza: str) -> str:
    return validate_token(plaza, "plaza")


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
        # The route's template (/v1/plazas/{plaza}/requests), not its path: one series a route.
        route = scope.get("path_template") or "unmatched"
        with tracing.server_span(scope["method"], route, headers, plaza) as span:
            try:
                await next_app(scope, receive, _send)
            finally:
                metrics.HTTP_REQUESTS.labels(self.service, scope["method"], route, status["code"]).observe(
                    time.perf_counter() - start
                )
                if span is not None:
                    span.set_attribute("http.response.status_code", status["code"])
