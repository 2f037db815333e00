"""Reports for the manager: the monthly complaint statistics, as data, as an Excel workbook
and as a chart. Read-only; figures come from reports/domain.py."""

from __future__ import annotations

import datetime as dt
import io
import re

from libs.runtime import export
from libs.runtime.errors import InvalidInput
from services.dispatch.reports import domain, store
from services.dispatch.sla import services as sla
from services.dispatch.sla import store as sla_store

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


async def complaint_report(conn, plaza_id: str, month: str, now: dt.datetime) -> domain.ComplaintReport:
    if not MONTH.match(month or ""):
        raise InvalidInput(f"month {month!r} must be YYYY-MM", field="month")
    policy = await sla.policy_of(conn, plaza_id)
    start, end = domain.month_range(month, policy.calendar.timezone)
    complaints = await store.complaints_opened(conn, plaza_id, start, end)
    deadlines = await sla_store.deadlines_of(conn, plaza_id, [r["id"] for r in complaints])
    return domain.complaint_report(month, complaints, [d for rows in deadlines.values() for d in rows], now)


SUMMARY = [
    ("complaints", "count"),
    ("median minutes to first response", "median_minutes_to_first_response"),
    ("median minutes to close", "median_minutes_to_close"),
    ("closed at least once", "closed"),
    ("reopened", "reopened"),
    ("reopen rate", "reopen_rate"),
    ("deadlines judged", "deadlines_judged"),
    ("deadlines met on time", "deadlines_met_on_time"),
    ("SLA compliance", "sla_compliance"),
]


def to_xlsx(report: domain.ComplaintReport, plaza_id: str) -> bytes:
    summary = [["plaza", plaza_id], ["month", report.month]]
    sheets = [("summary", summary + [[label, getattr(report, attr)] for label, attr in SUMMARY])]
    for title, counts in (
        ("by category", report.by_category),
        ("by department", report.by_department),
        ("reopens by department", report.reopens_by_department),
    ):
        header = [title.removeprefix("by ").removeprefix("reopens by "), "count"]
        sheets.append((title, [header, *([key, n] for key, n in counts.items())]))
    return export.xlsx(sheets)


def to_svg(report: domain.ComplaintReport, plaza_id: str) -> bytes:
    """Drawn through ``libs.runtime.export.draw`` (a worker thread, one chart at a time)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4))
    for i, (title, counts) in enumerate((("by category", report.by_category), ("by department", report.by_department))):
        axes = figure.add_subplot(1, 2, i + 1)
        axes.bar([export.label(k) for k in counts] or ["none"], list(counts.values()) or [0], color="#4472c4")
        axes.set_title(f"complaints {title}")
        axes.tick_params(axis="x", labelrotation=30)
    title = f"{plaza_id} {report.month}: {report.count} complaints, SLA compliance {_pct(report.sla_compliance)}"
    figure.suptitle(export.label(title))
    figure.tight_layout()
    out = io.BytesIO()
    # Text stays text (not outlines): searchable, and small.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(out, format="svg")
    return out.getvalue()


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
