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


class UnknownFact(Exception):
    """An event about a plaza or unit this service has not been told of. Archive's facts
    come on a stream of their own and may arrive after the events that need them, so this
    is not a DomainError (dead-lettered at once): the consumer waits a bounded time for
    them, then dead-letters the event with this reason."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
