"""The libraries' own log records, a traceback, a warning and a crash included, come out as
the service's JSON lines."""

from __future__ import annotations

import json
import logging
import sys
import warnings

import pytest
import structlog

from libs.runtime import logging as log


@pytest.fixture
def json_logs(capsys, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    monkeypatch.setattr(logging, "_warnings_showwarning", None)  # as in a fresh process
    def configure():  # in the test itself: its stderr is captured from there
        log.configure("info", json=True, service="probe")
        return lambda: [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]

    yield configure
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, log._Output)]:
        root.removeHandler(handler)  # it writes to this test's captured stderr
    structlog.reset_defaults()


def test_library_records_a_traceback_and_a_warning_are_json_lines(json_logs):
    written = json_logs()
    logging.getLogger("uvicorn.error").info("Uvicorn running on %s", "http://127.0.0.1:8001",
                                            extra={"color_message": "\x1b[1mcoloured\x1b[0m"})
    logging.getLogger("faststream").warning("\x1b[32mcoloured\x1b[0m by its own handler")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated call", DeprecationWarning, stacklevel=1)
    logging.getLogger("nats").debug("below the level: not written")
    log.get("probe").info("own_line", plaza_id="p1")
    try:
        raise ValueError("a crash")
    except ValueError:
        sys.excepthook(*sys.exc_info())  # what Python calls with an exception nobody caught

    lines = written()
    assert [(line["logger"] if "logger" in line else None, line["level"], line["event"][:27]) for line in lines] == [
        ("uvicorn.error", "info", "Uvicorn running on http://1"),
        ("faststream", "warning", "coloured by its own handler"),
        ("asyncio", "error", "Task exception was never re"),
        ("py.warnings", "warning", lines[3]["event"][:27]),
        (None, "info", "own_line"),
        ("uncaught", "critical", "uncaught_exception"),
    ]
    assert "ValueError: a crash" in lines[5]["exception"]
    assert "a deprecated call" in lines[3]["event"]
    assert "RuntimeError: boom" in lines[2]["exception"]
    assert all(line["service"] == "probe" and line["timestamp"] for line in lines)
    assert not any("\x1b" in json.dumps(line, ensure_ascii=False) for line in lines)
