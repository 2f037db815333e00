"""Spreadsheets and charts written the same way by every service.

What a spreadsheet holds was typed by someone else (a clerk, an imported file, an occupant):
every cell goes through ``cell`` so that a text is never a live formula when the manager opens
it (OWASP's CSV injection: ``=cmd|' /C calc'!A0``) and never a character that XML cannot
hold (openpyxl refuses the whole workbook for one ``\\x01``). The same rule serves a CSV.

Building a workbook or drawing a chart is CPU work of up to a second: it runs in a worker
thread (``off_loop``, ``draw``) so the service's requests and consumers go on meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What Excel, LibreOffice and Google Sheets start a formula with (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 has no place for C0 controls other than tab, LF and CR, for lone surrogates or
# for U+FFFE/U+FFFF; each becomes U+FFFD, so the reader sees that something was there.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A signed number written as text (floor "-1", phone "+8613900000000") computes nothing
# whatever reads it: it keeps its look.
SIGNED_NUMBER = re.compile(r"[+-]\d+(\.\d+)?")
PLAIN = (bool, int, float, Decimal, dt.date, dt.time, dt.timedelta)


def text(value: str) -> str:
    """A text as a spreadsheet must hold it: writable, and shown as the text it is."""
    value = UNWRITABLE.sub("\ufffd", value)
    # The quote is how spreadsheets mark "this is text" (and what OWASP advises); an import
    # of the register takes it off again (``unquote``), so an export reads back unchanged
    # (a text that itself began with such a quote gets one more, to keep it).
    return "'" + value if _formula_like(value.lstrip("'")) else value


def _formula_like(value: str) -> bool:
    return value.startswith(FORMULA_START) and not SIGNED_NUMBER.fullmatch(value)


def cell(value: Any) -> Any:
    """Numbers (a negative one too), dates and empty cells stay what they are; any text is
    made safe; what a spreadsheet has no type for is written as its text."""
    if value is None or isinstance(value, str):
        return None if value is None else text(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()  # Excel has no time zones; openpyxl refuses an aware one
    return value if isinstance(value, PLAIN) else text(str(value))


def label(value: Any) -> str:
    """A text for a chart: what XML (an SVG) cannot hold becomes U+FFFD."""
    return UNWRITABLE.sub("\ufffd", str(value))


def row(values: Iterable[Any]) -> list:
    return [cell(v) for v in values]


def unquote(value: str) -> str:
    """The text a cell written by ``text`` stood for (a file exported earlier, re-imported)."""
    return value[1:] if value.startswith("'") and _formula_like(value.lstrip("'")) else value


def xlsx(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of (title, rows) sheets, every cell through ``cell``. Streamed (openpyxl's
    write-only mode): a register of thousands of units never sits in memory as cell objects."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit for a sheet name
        for values in rows:
            sheet.append(row(values))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a worker thread: a big workbook never stalls the event loop."""
    return await asyncio.to_thread(fn, *args)


# matplotlib's object-oriented Figure is safe per figure, but its settings (rcParams, the
# backend, rc_context) are one global state and its font cache is built on first use: one
# chart at a time. Charts are rare (a manager's report); nobody waits behind them for long.
_drawing = threading.Lock()


def _drawn(fn: Callable[..., T], *args: Any) -> T:
    import matplotlib

    # A label is the name someone typed, never TeX: "$\foo$" would fail the whole chart.
    with _drawing, matplotlib.rc_context({"text.parse_math": False}):
        return fn(*args)


async def draw(fn: Callable[..., T], *args: Any) -> T:
    """A chart drawn by ``fn(*args)`` (matplotlib) in a worker thread, one at a time: the
    complaints SVG held dispatch's event loop for over a second."""
    return await asyncio.to_thread(_drawn, fn, *args)
