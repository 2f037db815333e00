"""Every error of the five APIs as an RFC 9457 problem (application/problem+json), through
Litestar's ProblemDetailsPlugin: each kind of exception is mapped to a ``Problem``.

Every answer carries type, title, status, detail and instance (the request's path), and
where it can the members naming what was wrong: ``field``, ``errors`` (one per bad field:
field, message, source, and ``allowed`` or ``limit``), ``limit_bytes``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

from libs.contracts.subjects import InvalidToken
from libs.runtime import limits
from libs.runtime import logging as log
from libs.runtime.errors import DomainError
from libs.runtime.http import fields

logger = log.get("http")


class Problem(ProblemDetailsException):
    """A problem as the API answers it; ``members`` with a value are added to the body."""

    def __init__(self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None,
                 **members: Any) -> None:
        super().__init__(
            detail=detail, status_code=status, title=title, type_="about:blank", headers=headers,
            extra={name: value for name, value in members.items() if value is not None},
        )

    def to_response(self, request: Request) -> Response:
        self.instance = request.url.path
        return super().to_response(request)


class _WordedWithRequest(Problem):
    """The plugin's map turns an exception into a problem without the request; some words
    need it (the route's types and its body as read, its body limit, the method and path),
    so these are worded when the response is made, where the request is at hand."""

    def __init__(self, exc: Exception, word: Callable[[Request, Any], Problem]) -> None:
        super().__init__(getattr(exc, "status_code", 500), "", "")
        self.exc, self.word = exc, word

    def to_response(self, request: Request) -> Response:
        return self.word(request, self.exc).to_response(request)


def _domain_error(exc: DomainError) -> Problem:
    # A rule may name more than the field (the training a person still lacks, say).
    return Problem(exc.status, exc.title, exc.detail, field=exc.field, **getattr(exc, "members", {}))


def _invalid_token(exc: InvalidToken) -> Problem:
    return Problem(422, "Invalid identifier", str(exc), field=getattr(exc, "what", None))


def _invalid_fields(request: Request, exc: ValidationException) -> Problem:
    """Litestar's ValidationException (a body, query or path value that does not fit the
    route's types) carries one item per bad value: key, message, source."""
    errors = [error for item in exc.extra or [] if isinstance(item, dict) for error in fields.explain(request, item)]
    named = [e["field"] for e in errors if e.get("field")]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors) or exc.detail
    # A well-formed value over a limit, or text with a control character: 422. A body that
    # does not fit the type (wrong type, missing or unknown field, a value not allowed): 400.
    status = 422 if {e.pop("status") for e in errors} == {422} else 400
    title = "Invalid input" if status == 422 else "Invalid request"
    return Problem(status, title, detail, field=named[0] if named else None, errors=errors or None)


def _too_large(request: Request, exc: RequestEntityTooLarge) -> Problem:
    handler = request.scope.get("route_handler")
    limit = handler.resolve_request_max_body_size() if handler is not None else None
    detail = f"the request body is larger than {limits.size_text(limit)}, the most this endpoint takes" if limit else exc.detail
    return Problem(413, "Content Too Large", detail, limit_bytes=limit)


def _http(request: Request, exc: HTTPException) -> Problem:
    detail = exc.detail
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return Problem(exc.status_code, _reason(exc.status_code), detail, headers=exc.headers)


def _unexpected(request: Request, exc: Exception) -> Problem:
    logger.exception("http_unhandled", path=request.url.path, exc_info=exc)
    return Problem(500, "Internal Server Error", "the request failed; nothing was recorded")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _with_request(word: Callable[[Request, Any], Problem]) -> Callable[[Exception], Problem]:
    return lambda exc: _WordedWithRequest(exc, word)


def problem_details() -> ProblemDetailsPlugin:
    """The app's plugin: every exception answered as a problem (the most specific entry of
    the map wins; ``Problem`` itself, raised by the runtime, is answered as it is)."""
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map={
        DomainError: _domain_error,
        InvalidToken: _invalid_token,
        ValidationException: _with_request(_invalid_fields),
        RequestEntityTooLarge: _with_request(_too_large),
        HTTPException: _with_request(_http),
        Exception: _with_request(_unexpected),
    }))
