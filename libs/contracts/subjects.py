"""Subject names and streams, built in one place.

Layout: ``plazadesk.<service>.<plaza>.<aggregate>.…`` so that the plaza is always the
third token. Work-order subjects also carry the department as the fourth token:

    plazadesk.dispatch.<plaza>.<department>.work_order.<what>

so a department system subscribes to ``plazadesk.dispatch.*.engineering.>`` (all plazas)
or ``plazadesk.dispatch.p1.engineering.>`` (one plaza) with one wildcard, and one NATS
permission grants exactly that.
"""

from __future__ import annotations

import re

import msgspec

PREFIX = "plazadesk"
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class InvalidToken(ValueError):
    def __init__(self, message: str, what: str = "token") -> None:
        super().__init__(message)
        self.what = what


def validate_token(value: str, what: str = "token") -> str:
    """Plaza, unit and department ids become subject tokens: no '.', '*', '>' or spaces."""
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise InvalidToken(
            f"{what} {value!r} must be 1-64 characters of letters, digits, '-' or '_' "
            "(it becomes a NATS subject token)",
            what,
        )
    return value


class StreamSpec(msgspec.Struct, frozen=True):
    name: str
    service: str

    @property
    def subjects(self) -> list[str]:
        return [f"{PREFIX}.{self.service}.>"]

    def subject(self, *tokens: str) -> str:
        return ".".join((PREFIX, self.service, *tokens))


# One stream per producing service, declared by that service only.
STREAMS: dict[str, StreamSpec] = {
    name: StreamSpec(name=name.upper(), service=name)
    for name in ("intake", "dispatch", "billing", "survey", "archive", "staff", "notices")
}
DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_SUBJECTS = [f"{PREFIX}.deadletter.>"]


def dead_letter_subject(service: str, consumer: str) -> str:
    return f"{PREFIX}.deadletter.{service}.{consumer}"


def subject_for(event: msgspec.Struct) -> str:
    """The subject an event is published on; every event class defines ``subject_tokens``."""
    from libs.contracts.events import STREAM_OF

    service = STREAM_OF[type(event)]
    return STREAMS[service].subject(*event.subject_tokens())  # type: ignore[attr-defined]
