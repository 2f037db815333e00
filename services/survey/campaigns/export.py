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
from libs.runtime.errors import InvalidInput

XLSX = spreadsheet.XLSX_TYPE
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
RATE_COLUMNS = ("month", "dimension", "department", "satisfied", "basically_satisfied",
                "unsatisfied", "answered", "rate", "change")


def workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> bytes:
    """One sheet per (title, header, rows)."""
    return spreadsheet.xlsx((title, [header, *rows]) for title, header, rows in sheets)


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
        axes.bar(xs, [100 * (v or 0) for v in values], width=width, label=spreadsheet.label(name))
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
    if fmt not in IMAGE_TYPES:
        raise InvalidInput("format must be png or svg", field="format")
    return fmt


async def table_response(body: msgspec.Struct, fmt: str, name: str, sheets) -> Response:
    if fmt == "json":
        return Response(content=body)
    if fmt != "xlsx":
        raise InvalidInput("format must be json or xlsx", field="format")
    return Response(
        content=await spreadsheet.off_loop(workbook, sheets), media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def rate_sheets(**tables) -> list:
    return [(title, *rate_table(rows)) for title, rows in tables.items()]
