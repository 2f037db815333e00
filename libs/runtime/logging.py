"""structlog set up the same way in every service: JSON when not on a terminal, with the
correlation id, plaza, event id and type bound by the request and handler code.

What the libraries log through the standard library (uvicorn, FastStream, nats, asyncio,
SQLAlchemy, warnings) is rendered by the same processors and written through the same
output: a service's log is one format, one JSON object a line, with its service, level and
time, and no terminal colour codes."""

from __future__ import annotations

import contextvars
import logging
import re
import sys

import msgspec
import structlog

# The libraries that add a handler of their own at import (FastStream: coloured lines
# on stderr, not propagated); their records are taken back to the root's one handler.
OWN_HANDLERS = ("faststream",)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def configure(level: str = "info", json: bool | None = None, service: str | None = None) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    renderer = (
        structlog.processors.JSONRenderer(serializer=_to_json)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    number = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    named = [_service(service)] if service else []
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _merge_event_context,
            *named,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    _route_stdlib(number, renderer, named)


class _Output(logging.Handler):
    """The standard library's records, rendered by structlog's processors and written as
    structlog writes (one lock per file): a line from a worker thread never lands inside
    another line."""

    def __init__(self, level: int, formatter: logging.Formatter) -> None:
        super().__init__(level)
        self.setFormatter(formatter)
        self.printer = structlog.PrintLogger(file=sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.printer.msg(self.format(record))
        except Exception:
            self.handleError(record)


def _route_stdlib(level: int, renderer, named: list) -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            _merge_event_context,
            *named,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _plain,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_secrets,
            renderer,
        ],
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Output)]:
        root.removeHandler(handler)  # configured again (tests start many services)
    root.addHandler(_Output(level, formatter))
    root.setLevel(level)
    for name in OWN_HANDLERS:
        adopted = logging.getLogger(name)
        for handler in [h for h in adopted.handlers if isinstance(h, logging.StreamHandler)]:
            adopted.removeHandler(handler)
        adopted.propagate = True
    logging.captureWarnings(True)  # a warning is a log line too, not a bare line on stderr
    sys.excepthook = _uncaught  # so is the traceback of a crash


def _uncaught(kind, exc, tb) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("uncaught").critical("uncaught_exception", exc_info=(kind, exc, tb))


def _service(name: str):
    def add_service(_logger, _name, event_dict: dict) -> dict:
        event_dict.setdefault("service", name)
        return event_dict

    return add_service


# What a log line must never carry, whoever wrote it (a library's error quoting a request,
# an event's payload in a dead letter): credentials, and occupants' and staff's phones.
_SECRET_KEYS = frozenset({"authorization", "password", "access_token", "refresh_token", "token", "phone",
                          "secret", "cookie"})
_SECRETS = re.compile(
    r"(?i:bearer\s+)[\w.~+/=-]+"            # an Authorization header's value
    r"|eyJ[\w-]*\.[\w-]+\.[\w-]*"          # a JWT anywhere (its header is base64 of '{"')
    r"|(?<![\w.-])\+?(?:86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?![\w.-])"  # a mobile number (China)
    r"|(?<![\w.-])\+\d(?:[ -]?\d){7,14}(?![\w.-])"  # an international number
)
MASK = "[masked]"


def mask_secrets(_logger, _name, event_dict: dict) -> dict:
    """Masks tokens, passwords and phone numbers in every value of a log line."""
    for key, value in event_dict.items():
        event_dict[key] = _masked(key, value)
    return event_dict


def _masked(key, value, depth: int = 0):
    if isinstance(key, str) and key.lower() in _SECRET_KEYS and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return _SECRETS.sub(MASK, value) if len(value) >= 9 else value
    if depth < 4 and isinstance(value, dict):
        return {k: _masked(k, v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, (list, tuple)):
        return [_masked(None, v, depth + 1) for v in value]
    return value


def _plain(_logger, _name, event_dict: dict) -> dict:
    event = event_dict.get("event")
    if isinstance(event, str) and "\x1b" in event:
        event_dict["event"] = _ANSI.sub("", event)
    return event_dict


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
