"""Satisfaction figures as files: Excel workbooks and charts from statistics rows (bytes
out, no I/O), and the JSON-or-Excel answer the statistics routes of campaigns and of the
monthly report share.

matplotlib is imported on first use (with the Agg backend): it costs a second at import and
most requests never draw."""

from __future__ import annotations

import io
from collections.abc import Sequence

import msgspec
from litestar import Response

from libs.runtime import export as spreadsheet

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
RATE_COLUMNS = ("month", "dimension", "department", "satisfied", "basically_satisfied",
                "unsatisfied", "answered", "rate", "change")


C = spreadsheet.Column
# Every column these reports write, declared once: header in Chinese and English, and kind.
COLUMNS = {c.key: c for c in (
    C("month", "月份", "month"), C("dimension", "维度", "dimension"), C("department", "部门", "department"),
    C("satisfied", "满意", "satisfied", "count"), C("basically_satisfied", "基本满意", "basically satisfied", "count"),
    C("unsatisfied", "不满意", "unsatisfied", "count"), C("answered", "答复数", "answered", "count"),
    C("rate", "满意率", "satisfaction rate", "percent"), C("change", "环比变化", "change", "percent"),
    C("building", "楼栋", "building"), C("occupant_kind", "业户类型", "occupant kind"),
    C("drawn", "抽样数", "drawn", "count"), C("scheduled", "应回访", "scheduled", "count"),
    C("done", "已回访", "done", "count"), C("skipped", "未回访", "skipped", "count"),
    C("coverage", "回访率", "coverage", "percent"),
)}
TITLES = {"by_month": "按月", "by_department": "按部门", "by_dimension": "按维度", "return_visits": "回访（按部门）",
          "campaign_by_department": "调查（按部门）", "campaign_by_dimension": "调查（按维度）",
          "strata": "分层抽样", "coverage": "回访率"}


def sheet(title: str, header: Sequence[str], rows: Sequence[Sequence]) -> spreadsheet.Sheet:
    """A (title, header keys, rows) table as a report sheet; a table of rates by one category
    (department, dimension or month) gets a chart of them."""
    items = [dict(zip(header, r)) for r in rows]
    category = next((k for k in ("department", "dimension", "month") if k in header), None)
    chart = None
    if "rate" in header and category and ("month" not in header or category == "month"):
        chart = spreadsheet.Chart("bar", "满意率", "satisfaction rate", category, ["rate"])
    return spreadsheet.Sheet(TITLES.get(title, title), title, [COLUMNS[k] for k in header], items, chart)


def workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]], lang: str = "zh") -> bytes:
    """One sheet per (title, header keys, rows)."""
    return spreadsheet.report([sheet(*s) for s in sheets], lang)


def rate_table(rows: Sequence[msgspec.Struct], columns: Sequence[str] = RATE_COLUMNS) -> tuple[list[str], list[list]]:
    used = [c for c in columns if any(getattr(r, c, None) is not None for r in rows) or c in ("rate", "answered")]
    return used, [[getattr(r, c, None) for c in used] for r in rows]


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], fmt: str) -> bytes:
    """Grouped bars of satisfaction rates (0–100 %), one group per label. Drawn through
    ``libs.runtime.export.draw`` (a worker thread, one chart at a time)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [x + i * width for x in range(len(labels))]
        # A department nobody rated that month is a gap, not a bar at 0 %.
        axes.bar(xs, spreadsheet.gapped([None if v is None else 100 * v for v in values]), width=width,
                 label=spreadsheet.label(name))
    axes.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))], [spreadsheet.label(x) for x in labels], rotation=20)
    axes.set_ylim(0, 100)
    axes.set_ylabel("satisfaction rate %")
    axes.set_title(spreadsheet.label(title))
    if len(series) > 1:
        axes.legend()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt)
    return out.getvalue()


def image_format(fmt: str) -> str:
    return spreadsheet.choose(fmt, tuple(IMAGE_TYPES))


async def table_response(body: msgspec.Struct, fmt: str, name: str, sheets, lang: str = "zh") -> Response:
    fmt, lang = spreadsheet.choose(fmt, ("json", "xlsx")), spreadsheet.language(lang)
    if fmt == "json":
        return Response(content=body)
    return await spreadsheet.report_response([sheet(*s) for s in sheets], lang, name)


def rate_sheets(**tables) -> list:
    return [(title, *rate_table(rows)) for title, rows in tables.items()]
