"""The papers a manager hands on: each report's columns declared once, and the workbook reads
the same way everywhere (headers in Chinese or English, ¥ and %, a frozen header row, widths
to read, a chart Excel draws itself); an unknown format is refused."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from libs.runtime import export
from libs.runtime.errors import DomainError

COLUMNS = [
    export.Column("month", "月份", "month", "text"),
    export.Column("count", "投诉数", "complaints", "count"),
    export.Column("amount_fen", "金额", "amount", "money"),
    export.Column("rate", "满意率", "satisfaction rate", "percent"),
    export.Column("day", "日期", "date", "date"),
]
ITEMS = [
    {"month": "2026-02", "count": 3, "amount_fen": 12345, "rate": 0.5, "day": "2026-02-01"},
    {"month": "2026-03", "count": 1, "amount_fen": 100_000_00, "rate": None, "day": dt.date(2026, 3, 1)},
]


def book(lang: str = "zh", chart: export.Chart | None = None):
    sheets = [export.Sheet("趋势", "trend", COLUMNS, ITEMS, chart),
              export.summary("汇总", "summary", [(COLUMNS[2], 5000), (COLUMNS[3], 0.25)])]
    return load_workbook(io.BytesIO(export.report(sheets, lang)))


def test_headers_in_chinese_or_english_on_a_frozen_first_row():
    zh, en = book("zh"), book("en")
    assert [c.value for c in zh["趋势"][1]] == ["月份", "投诉数", "金额", "满意率", "日期"]
    assert [c.value for c in en["trend"][1]] == ["month", "complaints", "amount", "satisfaction rate", "date"]
    assert zh["趋势"].freeze_panes == "A2" and en["summary"].freeze_panes == "A2"
    assert [c.value for c in zh["汇总"]["A"]] == ["项目", "金额", "满意率"]


def test_money_is_yuan_with_the_yuan_sign_rates_are_percent_dates_are_dates():
    sheet = book()["趋势"]
    money, rate, day, count = sheet["C2"], sheet["D2"], sheet["E2"], sheet["B2"]
    assert money.value == 123.45 and money.number_format == '"¥"#,##0.00'
    assert rate.value == 0.5 and rate.number_format == "0.0%"
    assert day.value.date() == dt.date(2026, 2, 1) and day.number_format == "yyyy-mm-dd"
    assert count.value == 3 and count.number_format == "0"
    assert sheet["D3"].value is None  # no figure is an empty cell, not 0 %
    summary = book()["汇总"]
    assert summary["B2"].value == 50 and summary["B2"].number_format == '"¥"#,##0.00'
    assert summary["B3"].number_format == "0.0%"


def test_columns_are_wide_enough_for_their_longest_value():
    sheet = book()["趋势"]
    assert sheet.column_dimensions["C"].width >= len("¥100,000.00")
    assert sheet.column_dimensions["A"].width >= len("2026-02")


def test_a_report_with_a_chart_carries_a_native_excel_chart():
    chart = export.Chart("bar", "月度投诉", "complaints by month", "month", ["count"])
    sheet = book("zh", chart)["趋势"]
    [drawn] = sheet._charts
    assert drawn.tagname == "barChart" and drawn.display_blanks == "gap"
    assert drawn.y_axis.number_format.formatCode == "0" and drawn.y_axis.majorUnit == 1  # counts are whole
    assert book()["趋势"]._charts == []


def test_a_format_or_language_not_offered_is_a_400_naming_it():
    assert export.choose("xlsx", ("json", "xlsx")) == "xlsx"
    with pytest.raises(DomainError) as refused:
        export.choose("pdf", ("json", "xlsx"))
    assert refused.value.status == 400 and refused.value.field == "format" and "json, xlsx" in refused.value.detail
    with pytest.raises(DomainError) as refused:
        export.language("fr")
    assert refused.value.status == 400 and refused.value.field == "lang"


def test_a_typed_formula_is_still_text_in_a_report():
    sheet = load_workbook(io.BytesIO(export.report([export.Sheet("s", "s", COLUMNS[:1], [{"month": "=1+1"}])])))["s"]
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"


def test_a_chart_drawn_for_a_page_leaves_a_gap_and_counts_whole():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    values = export.gapped([0.5, None, 0.75])
    assert values[0] == 0.5 and values[1] != values[1]  # NaN: matplotlib draws nothing there
    axes.bar(["a", "b", "c"], [1, 2, 3])
    export.integer_axis(axes)
    assert all(float(t).is_integer() for t in axes.get_yticks())
