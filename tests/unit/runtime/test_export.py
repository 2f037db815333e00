"""What every workbook the services write holds: no live formula, no character that breaks
the file, numbers still numbers; and a chart drawn while the event loop goes on."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import threading

import pytest
from openpyxl import load_workbook

from libs.runtime import export

ATTACK = "=cmd|' /C calc'!A0"


def cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [c for sheet in book.worksheets for line in sheet.iter_rows() for c in line]


@pytest.mark.parametrize("value", [ATTACK, "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")"])
def test_a_text_that_starts_a_formula_is_written_as_text(value):
    data = export.xlsx([("s", [["name", value]])])
    written = cells(data)[1]
    assert written.data_type == "s" and written.value == "'" + value.replace("\r", "\n")  # XML reads CR as LF
    assert export.unquote(export.text(value)) == value


def test_numbers_dates_and_ordinary_text_stay_what_they_are():
    day = dt.date(2026, 3, 1)
    values = [-12.5, -3, 0, True, None, day, "王芳", "-1", "+8613900000000", "a=b", "'quoted"]
    written = [c.value for c in cells(export.xlsx([("s", [values])]))]
    assert written[:5] == [-12.5, -3, 0, True, None]
    assert written[5].date() == day  # openpyxl reads a date cell back as a datetime
    assert written[6:] == ["王芳", "-1", "+8613900000000", "a=b", "'quoted"]


def test_a_text_that_began_with_the_quote_itself_reads_back_unchanged():
    for value in ("'=x", "''=x", "'-1", "=x"):
        assert export.unquote(export.text(value)) == value


def test_control_characters_already_stored_do_not_break_the_workbook():
    stored = ["bad\u0001name", "\x00\x08\x0b\x0c\x1f", "tab\tand\nline", "\ufffe"]
    written = [c.value for c in cells(export.xlsx([("s", [stored])]))]
    assert written == ["bad\ufffdname", "\ufffd" * 5, "tab\tand\nline", "\ufffd"]


def test_what_a_spreadsheet_has_no_type_for_is_written_as_text():
    aware = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.timezone.utc)
    assert [c.value for c in cells(export.xlsx([("s", [[aware, ["=x"]]])]))] == [
        "2026-03-01T02:00:00+00:00", "['=x']"]


def _chart(label: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure()
    axes = figure.add_subplot()
    axes.bar([export.label(label)], [1])
    axes.set_title(export.label(label))
    out = io.BytesIO()
    figure.savefig(out, format="svg")
    return out.getvalue()


async def test_a_chart_of_any_stored_name_is_drawn_off_the_event_loop():
    loop_thread = threading.get_ident()
    drawn_on = []

    def chart(label: str) -> bytes:
        drawn_on.append(threading.get_ident())
        return _chart(label)

    svg = await export.draw(chart, "$\\foo$ bad\u0001name")
    assert drawn_on and drawn_on[0] != loop_thread
    assert b"<svg" in svg and b"\x01" not in svg


async def test_the_loop_keeps_running_while_a_workbook_is_built():
    """The builder waits until the loop has ticked three times after it began: on the
    loop itself it would wait for ticks that cannot come."""
    ticks, began, ticked = [0], [None], threading.Event()

    async def heartbeat():
        while True:
            ticks[0] += 1
            if began[0] is not None and ticks[0] - began[0] >= 3:
                ticked.set()
            await asyncio.sleep(0.001)

    def build() -> bytes:
        began[0] = ticks[0]
        assert ticked.wait(30), "the event loop did not run while the workbook was built"
        return export.xlsx([("s", [["x"]])])

    beat = asyncio.create_task(heartbeat())
    try:
        assert (await export.off_loop(build)).startswith(b"PK")
    finally:
        beat.cancel()
