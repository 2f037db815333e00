"""structlog set up the same way in every service: JSON when not on a terminal, with the
correlation id, plaza, event id and type bound by the request and handler code."""

from __future__ import annotations

import contextvars
import logging
import sys

import msgspec
import structlog


def configure(level: str = "info", json: bool | None = None) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer = (
        structlog.processors.JSONRenderer(serializer=_to_json)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _merge_event_context,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


_event_fields: contextvars.ContextVar[dict | None] = contextvars.ContextVar("plazadesk_event", default=None)


class event_context:
    """Binds fields (the event being handled: correlation id, plaza, event id and type) to
    every log line inside the block; one context variable, so cheap enough per event."""

    __slots__ = ("fields", "token")

    def __init__(self, **fields) -> None:
        self.fields = fields

    def __enter__(self) -> None:
        self.token = _event_fields.set(self.fields)

    def __exit__(self, *exc) -> None:
        _event_fields.reset(self.token)


def _merge_event_context(_logger, _name, event_dict: dict) -> dict:
    fields = _event_fields.get()
    if fields:
        for key, value in fields.items():
            event_dict.setdefault(key, value)
    return event_dict


_encoder = msgspec.json.Encoder(enc_hook=str)


def _to_json(event_dict: dict, **_kw) -> str:
    # msgspec renders a log line several times faster than the standard library's json,
    # which showed in the consumers' profiles (a line per event); what it cannot encode
    # natively is written as its str().
    return _encoder.encode(event_dict).decode()


def get(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
