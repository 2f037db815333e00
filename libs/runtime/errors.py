"""Domain-level errors that routes turn into RFC 9457 problem details and consumers into
dead-letter entries (they are permanent: retrying will not help)."""

from __future__ import annotations


class DomainError(Exception):
    status = 422
    title = "Unprocessable request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
