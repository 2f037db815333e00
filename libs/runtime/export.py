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

from libs.runtime.errors import DomainError

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

    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit for a sheet name
        rows = iter(rows)
        header = next(rows, None)
        if header is None:
            continue
        header = row(header)
        # Streamed: only the header is known before the rows are written, so it sets the
        # widths (a column at least as wide as its name) and stays in view (frozen).
        for i, name in enumerate(header):
            sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(_width(str(name or "")) + 2, 12), 60)
        sheet.freeze_panes = "A2"
        sheet.append(header)
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


# ---------------------------------------------------------------------------------------
# Papers a person hands on: each report declares its columns once (key, Chinese and English
# header, kind) and every workbook reads the same way: one header row in the reader's
# language, frozen; money as yuan with ¥; rates as %; dates as dates; columns wide enough
# to read; and, where the report has a chart, a chart Excel draws itself.

LANGS = ("zh", "en")
KINDS = ("money", "percent", "count", "number", "date", "datetime", "text")
NUMBER_FORMATS = {
    "money": '"¥"#,##0.00',  # fen held, yuan shown: 12345 fen reads ¥123.45
    "percent": "0.0%",
    "count": "0",
    "number": "General",  # readings and minutes: as many decimals as they have
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


class FormatRefused(DomainError):
    """A ``format=`` (or ``lang=``) the route has not: 400 naming the parameter (an unknown
    value silently answered as JSON is a paper nobody gets)."""

    status = 400
    title = "Bad Request"


def choose(value: str, allowed: Sequence[str], field: str = "format") -> str:
    """``value`` if the route offers it, else a 400 problem naming ``field`` and what it takes."""
    if value not in allowed:
        raise FormatRefused(f"{field} {value!r} is not offered here; it takes {', '.join(allowed)}", field=field)
    return value


def language(value: str) -> str:
    return choose(value, LANGS, "lang")


class Column:
    """One column of a report: where its value is (``key``: an attribute or a mapping key),
    its header in Chinese and English, and what kind of figure it holds."""

    __slots__ = ("key", "zh", "en", "kind")

    def __init__(self, key: str, zh: str, en: str, kind: str = "text") -> None:
        if kind not in KINDS:
            raise ValueError(f"column {key!r}: kind {kind!r} is not one of {KINDS}")
        self.key, self.zh, self.en, self.kind = key, zh, en, kind

    def header(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def value(self, item: Any) -> Any:
        raw = item.get(self.key) if isinstance(item, dict) else getattr(item, self.key, None)
        return typed(raw, self.kind)


def typed(raw: Any, kind: str) -> Any:
    """The value as its cell holds it: fen as yuan, an instant as a plain time (UTC)."""
    if raw is None:
        return None
    if kind == "money" and isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw) / 100
    if kind in ("date", "datetime") and isinstance(raw, str):
        try:
            raw = dt.datetime.fromisoformat(raw) if kind == "datetime" else dt.date.fromisoformat(raw[:10])
        except ValueError:
            return raw
    if isinstance(raw, dt.datetime) and raw.tzinfo is not None:
        return raw.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return raw


class Chart:
    """A chart Excel draws from the sheet's own cells: ``category`` column along the axis,
    one series per ``values`` column. Counts get a whole-number axis; an empty cell is a gap."""

    __slots__ = ("kind", "zh", "en", "category", "values")

    def __init__(self, kind: str, zh: str, en: str, category: str, values: Sequence[str]) -> None:
        if kind not in ("bar", "line"):
            raise ValueError(f"chart kind {kind!r} is not bar or line")
        self.kind, self.zh, self.en, self.category, self.values = kind, zh, en, category, tuple(values)


class Sheet:
    """A table: its title (Chinese, English), its columns, its items and perhaps a chart."""

    __slots__ = ("zh", "en", "columns", "items", "chart")

    def __init__(self, zh: str, en: str, columns: Sequence[Column], items: Iterable[Any], chart: Chart | None = None) -> None:
        self.zh, self.en, self.columns, self.items, self.chart = zh, en, list(columns), list(items), chart

    def title(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


ITEM = Column("item", "项目", "item")
VALUE = Column("value", "数值", "value")


def summary(zh: str, en: str, lines: Sequence[tuple[Column, Any]]) -> Sheet:
    """A two-column sheet of named figures, each formatted by its own column's kind."""
    return Sheet(zh, en, [ITEM, VALUE], [_Line(c, v) for c, v in lines])


class _Line:
    __slots__ = ("column", "raw")

    def __init__(self, column: Column, raw: Any) -> None:
        self.column, self.raw = column, raw


def report(sheets: Sequence[Sheet], lang: str = "zh") -> bytes:
    """A workbook a manager can hand on: one sheet per ``Sheet``, headed in ``lang``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for spec in sheets:
        sheet = book.create_sheet(_sheet_title(spec.title(lang)))
        sheet.append([c.header(lang) for c in spec.columns])
        for c in sheet[1]:
            c.font, c.fill, c.alignment = bold, fill, Alignment(vertical="center")
        widths = [_width(c.header(lang)) for c in spec.columns]
        for r, item in enumerate(spec.items, start=2):
            for i, column in enumerate(spec.columns):
                kind, value = column.kind, None
                if isinstance(item, _Line):
                    kind = item.column.kind if column is VALUE else "text"
                    value = typed(item.raw, kind) if column is VALUE else item.column.header(lang)
                else:
                    value = column.value(item)
                written = sheet.cell(row=r, column=i + 1, value=cell(value))
                if kind in NUMBER_FORMATS and value is not None and not isinstance(value, str):
                    written.number_format = NUMBER_FORMATS[kind]
                widths[i] = max(widths[i], _width(_shown(value, kind)))
        sheet.freeze_panes = "A2"
        from openpyxl.utils import get_column_letter

        for i, w in enumerate(widths):
            sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(w + 2, 8), 60)
        if spec.chart is not None and spec.items:
            _native_chart(sheet, spec, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Excel's limit (31) and the characters a sheet name may not hold.
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31]


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"¥{value:,.2f}"
    if kind == "percent" and isinstance(value, (int, float, Decimal)):
        return f"{value:.1%}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _width(text_: str) -> int:
    """Columns in Excel's units: a CJK character is about two Latin ones wide."""
    longest = max((line for line in str(text_).split("\n")), key=len, default="")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


def _native_chart(sheet, spec: Sheet, lang: str) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference

    chart = spec.chart
    keys = [c.key for c in spec.columns]
    last = len(spec.items) + 1
    drawn = BarChart() if chart.kind == "bar" else LineChart()
    drawn.title = chart.en if lang == "en" else chart.zh
    drawn.display_blanks = "gap"  # a month without figures is a gap, never 0 %
    for key in chart.values:
        col = keys.index(key) + 1
        drawn.add_data(Reference(sheet, min_col=col, min_row=1, max_row=last), titles_from_data=True)
    cat = keys.index(chart.category) + 1
    drawn.set_categories(Reference(sheet, min_col=cat, min_row=2, max_row=last))
    kinds = {spec.columns[keys.index(k)].kind for k in chart.values}
    if kinds == {"count"}:
        drawn.y_axis.majorUnit = 1 if _peak(spec, chart) <= 10 else None
        drawn.y_axis.number_format = "0"
    elif kinds == {"percent"}:
        drawn.y_axis.number_format = "0%"
        drawn.y_axis.scaling.min, drawn.y_axis.scaling.max = 0, 1
    elif kinds == {"money"}:
        drawn.y_axis.number_format = NUMBER_FORMATS["money"]
    drawn.y_axis.delete = drawn.x_axis.delete = False  # openpyxl 3.1 hides both axes by default
    drawn.width, drawn.height = 18, 9
    sheet.add_chart(drawn, f"{_letter(len(spec.columns) + 2)}2")


def _peak(spec: Sheet, chart: Chart) -> float:
    keys = {c.key: c for c in spec.columns}
    values = [keys[k].value(item) for item in spec.items for k in chart.values]
    return max((v for v in values if isinstance(v, (int, float))), default=0)


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


async def report_response(sheets: Sequence[Sheet], lang: str, filename: str):
    """The workbook as a download (built in a worker thread)."""
    from litestar import Response

    data = await off_loop(report, sheets, lang)
    return Response(content=data, media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})


# Charts drawn for a page (matplotlib): counts on whole numbers, a missing figure a gap.

def integer_axis(axes) -> None:
    """Counts are whole: no 0.5 complaints on the axis."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def gapped(values: Sequence[float | None]) -> list[float]:
    """A missing figure as NaN, which matplotlib leaves out (a gap), never drawn as 0."""
    return [float("nan") if v is None else v for v in values]
