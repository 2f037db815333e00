"""The complaint report as files: an Excel workbook and an SVG chart (bytes out, no I/O).

Each sheet declares its columns once (libs.runtime.export): headed in Chinese, or English
with ``lang=en``; counts, rates and times formatted as such; native Excel charts of the
counts by category and department and of the monthly trend. The chart labels in Chinese with a CJK font found
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

C = export.Column
SUMMARY = [
    (C("count", "投诉数", "complaints", "count"), "count"),
    (C("major", "重大投诉", "major complaints", "count"), "major"),
    (C("into", "更正为投诉", "reclassified into complaints", "count"), "reclassified_into_complaint"),
    (C("away", "更正为非投诉", "reclassified away from complaints", "count"), "reclassified_away"),
    (C("first", "首次响应中位时长（分钟）", "median minutes to first response", "number"), "median_minutes_to_first_response"),
    (C("close", "关闭中位时长（分钟）", "median minutes to close", "number"), "median_minutes_to_close"),
    (C("closed", "已关闭", "closed at least once", "count"), "closed"),
    (C("reopened", "重开", "reopened", "count"), "reopened"),
    (C("reopen_rate", "重开率", "reopen rate", "percent"), "reopen_rate"),
    (C("judged", "参与考核的时限", "deadlines judged", "count"), "deadlines_judged"),
    (C("met", "按时完成", "deadlines met on time", "count"), "deadlines_met_on_time"),
    (C("sla", "时限达成率", "SLA compliance", "percent"), "sla_compliance"),
]
LIST_COLUMNS = [
    C("opened_at", "受理时间 (UTC)", "opened at (UTC)", "datetime"), C("unit", "单元", "unit"), C("area", "公共区域", "area"),
    C("category", "类别", "category"), C("department", "责任部门", "department"), C("channel", "渠道", "channel"),
    C("text", "投诉内容", "text"), C("major", "重大投诉", "major"), C("status", "处理结果", "status"),
    C("rating", "回访评价", "return-visit rating"), C("reclassified", "更正为投诉", "reclassified"),
    C("request_id", "请求编号", "request id"), C("work_order_id", "工单编号", "work order id"),
]
TREND_COLUMNS = [C("month", "月份", "month"), C("count", "投诉数", "complaints", "count"),
                 C("major", "重大投诉", "major", "count"), C("change", "环比变化", "change", "count"),
                 C("change_rate", "环比变化率", "change rate", "percent")]
COUNT = C("count", "投诉数", "complaints", "count")


def _counts(zh: str, en: str, key: C, counts: dict[str, int], chart: bool = False) -> export.Sheet:
    items = [{key.key: k, "count": n} for k, n in counts.items()]
    drawn = export.Chart("bar", zh, en, key.key, ["count"]) if chart and items else None
    return export.Sheet(zh, en, [key, COUNT], items, drawn)


def sheets(report: domain.ComplaintReport, plaza_id: str) -> list[export.Sheet]:
    lines = [(C("plaza", "项目（广场）", "plaza"), plaza_id), (C("month", "月份", "month"), report.month)]
    lines += [(column, getattr(report, attr)) for column, attr in SUMMARY]
    category, department = C("category", "类别", "category"), C("department", "部门", "department")
    return [
        export.summary("汇总", "summary", lines),
        _counts("按类别", "by category", category, report.by_category, chart=True),
        _counts("按部门", "by department", department, report.by_department, chart=True),
        _counts("重开（按部门）", "reopens by department", department, report.reopens_by_department),
        export.Sheet("投诉清单", "complaints", LIST_COLUMNS, report.complaints),
        export.Sheet("月度趋势", "trend", TREND_COLUMNS, report.trend,
                     export.Chart("line", "月度投诉趋势", "complaints by month", "month", ["count", "major"])),
        _counts("按渠道", "by channel", C("channel", "渠道", "channel"), report.by_channel),
    ]


def to_xlsx(report: domain.ComplaintReport, plaza_id: str, lang: str = "zh") -> bytes:
    return export.report(sheets(report, plaza_id), lang)


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
