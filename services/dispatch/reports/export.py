"""The complaint report as files: an Excel workbook and an SVG chart (bytes out, no I/O).

The sheets kept from before (summary, by category, by department, reopens by department)
read as they did; the new ones (complaints, trend, by channel) head each column in Chinese
with its English name on the line below. The chart labels in Chinese with a CJK font found
by name on the machine, and in English where none is found (never boxes for glyphs).
matplotlib is imported on first use: it costs a second and most requests never draw."""

from __future__ import annotations

import functools
import io

from libs.runtime import export
from services.dispatch.reports import domain

# Tried in order; fonts-noto-cjk gives the first on Debian.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC")

SUMMARY = [
    ("complaints", "count"),
    ("major complaints", "major"),
    ("reclassified into complaints", "reclassified_into_complaint"),
    ("reclassified away from complaints", "reclassified_away"),
    ("median minutes to first response", "median_minutes_to_first_response"),
    ("median minutes to close", "median_minutes_to_close"),
    ("closed at least once", "closed"),
    ("reopened", "reopened"),
    ("reopen rate", "reopen_rate"),
    ("deadlines judged", "deadlines_judged"),
    ("deadlines met on time", "deadlines_met_on_time"),
    ("SLA compliance", "sla_compliance"),
]
LIST_COLUMNS = [
    ("受理时间", "opened at", "opened_at"), ("单元", "unit", "unit"), ("公共区域", "area", "area"),
    ("类别", "category", "category"), ("责任部门", "department", "department"), ("渠道", "channel", "channel"),
    ("投诉内容", "text", "text"), ("重大投诉", "major", "major"), ("处理结果", "status", "status"),
    ("回访评价", "return-visit rating", "rating"), ("更正为投诉", "reclassified", "reclassified"),
    ("请求编号", "request id", "request_id"), ("工单编号", "work order id", "work_order_id"),
]
TREND_COLUMNS = [("月份", "month", "month"), ("投诉数", "complaints", "count"), ("重大投诉", "major", "major"),
                 ("环比变化", "change", "change"), ("环比变化率", "change rate", "change_rate")]


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
    sheets.append(_table("complaints 投诉清单", LIST_COLUMNS, report.complaints))
    sheets.append(_table("trend 月度趋势", TREND_COLUMNS, report.trend))
    sheets.append(("by channel 渠道", [["渠道", "投诉数"], ["channel", "count"], *([k, n] for k, n in report.by_channel.items())]))
    return export.xlsx(sheets)


def _table(title: str, columns, items) -> tuple[str, list]:
    return title, [[zh for zh, _, _ in columns], [en for _, en, _ in columns],
                   *([getattr(item, attr) for _, _, attr in columns] for item in items)]


@functools.cache
def cjk_font() -> str | None:
    """The first of CJK_FONTS matplotlib finds on this machine, None if none is there."""
    from matplotlib import font_manager

    for name in CJK_FONTS:
        try:
            font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        except ValueError:
            continue
        return name
    return None


# The chart's words for the report's codes, Chinese beside the code (a chart has no language switch).
CODE_ZH = {
    "staff_attitude": "服务态度", "noise": "噪音", "parking": "停车", "cleanliness": "卫生", "fees": "收费",
    "repairs": "维修", "other": "其他", "safety": "安全",
    "engineering": "工程部", "security": "安保部", "cleaning": "保洁部", "customer_service": "客服部",
}


def to_svg(report: domain.ComplaintReport, plaza_id: str) -> bytes:
    """Drawn through ``libs.runtime.export.draw`` (a worker thread, one chart at a time)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()

    def say(zh: str, en: str) -> str:
        return export.label(f"{zh} {en}" if font else en)

    settings = {"svg.fonttype": "none"}  # text stays text (not outlines): searchable, and small
    if font:
        settings |= {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"]}
    with matplotlib.rc_context(settings):
        figure = Figure(figsize=(13, 4.5))
        panels = ((say("按类别", "by category"), report.by_category), (say("按部门", "by department"), report.by_department))
        for i, (title, counts) in enumerate(panels):
            axes = figure.add_subplot(1, 3, i + 1)
            names = [say(CODE_ZH[k], k) if k in CODE_ZH else export.label(k) for k in counts]
            axes.bar(names or ["none"], list(counts.values()) or [0], color="#4472c4")
            axes.set_title(title)
            axes.tick_params(axis="x", labelrotation=30)
        _trend(figure.add_subplot(1, 3, 3), report, say)
        for axes in figure.axes:
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # complaints are counted whole
        title = f"{plaza_id} {report.month}: {report.count} complaints, SLA compliance {_pct(report.sla_compliance)}"
        figure.suptitle(say("投诉统计分析", title))
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="svg")
    return out.getvalue()


def _trend(axes, report: domain.ComplaintReport, say) -> None:
    months = [m.month for m in report.trend]
    axes.plot(months, [m.count for m in report.trend], marker="o", color="#4472c4", label=say("投诉", "complaints"))
    axes.plot(months, [m.major for m in report.trend], marker="s", color="#c00000", label=say("重大", "major"))
    axes.set_title(say("月度趋势", "monthly trend"))
    axes.tick_params(axis="x", labelrotation=30)
    axes.set_ylim(bottom=0)
    axes.legend()


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
