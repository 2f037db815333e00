"""What an upstream service's answer means to the person at the console."""

from __future__ import annotations

from typing import Any

import msgspec

from services.console.i18n.domain import N_


class UpstreamError(Exception):
    """A service refused or failed a call: its problem details (RFC 9457), kept whole so a
    page can show the field it names next to that field."""

    def __init__(self, service: str, status: int, problem: dict[str, Any]) -> None:
        self.service = service
        self.status = status
        self.problem = problem
        super().__init__(f"{service} answered {status}: {self.detail}")

    @property
    def title(self) -> str:
        return str(self.problem.get("title") or "")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or "")

    @property
    def field(self) -> str | None:
        """The field the service named: ``field``, else the first of ``invalid_params``."""
        if self.problem.get("field"):
            return str(self.problem["field"])
        for item in self.problem.get("invalid_params") or self.problem.get("errors") or []:
            if isinstance(item, dict) and item.get("name"):
                return str(item["name"])
        return None


class FormRefused(ValueError):
    """A form's input the console can tell is wrong before asking the service (an amount
    that is no amount, a decision without its reply): shown as a service's refusal would be."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail

    def problem(self) -> "UpstreamError":
        return UpstreamError("console", 422, {"detail": self.detail, "field": self.field})


class Unavailable(UpstreamError):
    """The service did not answer (down, restarting, too slow)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(service, 503, {"title": "Service Unavailable", "detail": reason})


def problem_of(status: int, content: bytes) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(content) if content else {}
    except msgspec.DecodeError:
        body = {}
    return body if isinstance(body, dict) else {"detail": str(body)}


# What each kind of refusal is called on the page (the service's own words follow it).
SUMMARY = {
    400: N_("The input is not valid"),
    401: N_("Please sign in again"),
    403: N_("Your role may not do this"),
    404: N_("Not found"),
    409: N_("This was changed meanwhile, or is not possible in its state"),
    422: N_("The input is not valid"),
    429: N_("Too many attempts: please wait a moment"),
    503: N_("A service is not available just now: please try again"),
}


def summary(status: int) -> str:
    if status in SUMMARY:
        return SUMMARY[status]
    return N_("The service could not do this") if status >= 500 else N_("The input is not valid")
