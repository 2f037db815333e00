"""报表's shaping: whatever keys a service's report answers with become figures and
tables, new ones included; the month picker; the chart's font."""

from __future__ import annotations

import datetime as dt

from services.console.reports import domain
from services.console.reports import export as charts

COMPLAINTS = {
    "month": "2026-12", "count": 4, "by_category": {"noise": 3, "leak": 1}, "by_department": {"engineering": 4},
    "median_minutes_to_first_response": 12.5, "median_minutes_to_close": None, "closed": 2, "reopened": 1,
    "reopen_rate": 0.5, "reopens_by_department": {}, "deadlines_judged": 2, "deadlines_met_on_time": 1,
    "sla_compliance": 0.5,
}


def test_scalars_become_figures_read_by_their_kind():
    shaped = domain.shape(COMPLAINTS)
    facts = {name: c for name, c in shaped["facts"]}
    assert facts["Count"] == {"kind": "number", "value": 4}
    assert facts["Reopen rate"]["kind"] == "percent"
    assert facts["Median time to first response"]["kind"] == "minutes"
    assert facts["Median time to close"]["value"] is None


def test_a_mapping_of_counts_becomes_a_two_column_table():
    tables = {t["title"]: t for t in domain.shape(COMPLAINTS)["tables"]}
    assert tables["By category"]["columns"] == ["Item", "Count"]
    assert [[c["value"] for c in row] for row in tables["By category"]["rows"]] == [["noise", 3], ["leak", 1]]
    assert tables["Second dispatches by department"]["rows"] == []


def test_fields_a_service_adds_show_up_without_a_change():
    report = {**COMPLAINTS, "major_count": 1, "by_channel": {"phone": 3, "online": 1},
              "complaints": [{"id": "r1", "unit": "A-203", "text": "噪音", "major": True, "received_at": "2026-12-01T02:00:00Z"},
                             {"id": "r2", "unit": "B-1201", "text": "漏水", "severity": "normal"}],
              "by_month": {"2026-11": {"count": 2, "major": 0}, "2026-12": {"count": 4, "major": 1}},
              "new_thing": {"north": 1}}
    shaped = domain.shape(report)
    facts = dict(shaped["facts"])
    assert facts["Major complaints"]["value"] == 1
    tables = {t["title"]: t for t in shaped["tables"]}
    listing = tables["Complaints"]
    assert listing["columns"] == ["No.", "Unit", "Content", "Major", "Received at", "Severity"]
    assert [c["value"] for c in listing["rows"][1]] == ["r2", "B-1201", "漏水", None, None, "normal"]
    assert listing["rows"][0][3]["kind"] == "flag"
    trend = tables["By month"]
    assert trend["columns"] == ["Month", "Count", "Major"] and trend["rows"][0][0]["value"] == "2026-11"
    assert "new thing" in tables, "an unknown key is shown under its own name"
    assert tables["By channel"]["rows"][0][1]["value"] == 3


def test_money_in_rows_and_a_nested_mapping_spread_into_columns():
    monthly = {"plaza_id": "demo", "month": "2026-12", "billed_fen": 10000, "collected_fen": 7400, "refunded_fen": 0,
               "collection_rate": 0.74, "arrears_as_of": "2026-12-31", "arrears": {"1-29": 2600},
               "units": [{"unit": "A-203", "billed_fen": 10000, "collected_fen": 7400, "refunded_fen": 0,
                          "overdue_fen": 0, "arrears": {"1-29": 2600}}], "currency": "CNY"}
    shaped = domain.shape(monthly)
    facts = dict(shaped["facts"])
    assert "Plaza" not in facts and "Currency" not in facts
    assert facts["Billed"]["kind"] == "money" and facts["Collection rate"]["kind"] == "percent"
    tables = {t["title"]: t for t in shaped["tables"]}
    assert tables["Arrears by age"]["columns"] == ["Item", "Amount"]
    assert tables["Arrears by age"]["rows"][0][1]["kind"] == "money"
    units = tables["Units"]
    assert units["columns"][-1] == "Arrears by age 1-29" and units["rows"][0][-1]["kind"] == "money"


def test_a_nested_report_becomes_a_part_and_a_list_answer_a_table():
    satisfaction = {"month": "2026-12", "return_visits": {"scheduled": 3, "done": 2, "skipped": 0, "coverage": 0.667,
                                                          "by_department": [{"department": "engineering", "rate": 1.0}]},
                    "campaign_satisfaction_rate": None, "campaign_by_department": [], "campaign_by_dimension": []}
    shaped = domain.shape(satisfaction)
    part = shaped["parts"][0]
    assert part["title"] == "Return visits" and dict(part["facts"])["Visit rate"]["kind"] == "percent"
    assert part["tables"][0]["columns"] == ["Department", "Satisfaction rate"]
    listed = domain.shape({"items": [{"unit": "A-101", "utility": "water", "balance_fen": 500}]})
    assert listed["tables"][0]["rows"][0][2] == {"kind": "money", "value": 500}


def test_the_month_picker_never_sends_a_typo_and_surveys_cover_six_months():
    today = dt.date(2026, 12, 5)
    assert domain.valid_month("2026-11", today) == "2026-11"
    assert domain.valid_month("2026-13", today) == "2026-12"
    assert domain.valid_month(None, today) == "2026-12"
    assert domain.months_before("2026-03", 5) == "2025-10"
    assert domain.period_query("campaigns", "2026-03") == {"from": "2025-10", "to": "2026-03"}
    assert domain.period_query("complaints", "2026-03") == {"month": "2026-03"}


def test_a_proxied_file_keeps_its_name():
    assert domain.keep_headers({"content-disposition": 'attachment; filename="a.xlsx"', "server": "x"}) == {
        "Content-Disposition": 'attachment; filename="a.xlsx"'}


def test_the_chart_is_written_in_a_simplified_chinese_sans_when_there_is_one():
    assert charts.choose_cjk(["DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC"]) == "Noto Sans CJK SC"
    assert charts.choose_cjk(["DejaVu Sans", "Noto Sans Mono CJK SC", "Noto Sans CJK KR"]) == "Noto Sans CJK KR"
    assert charts.choose_cjk(["DejaVu Sans"]) is None


def test_the_collection_chart_is_an_svg():
    image = charts.collection_chart("应收与实收", ["A-203", "B-1201"], {"应收": [100.0, 0], "实收": [74.0, 0]},
                                    charts.cjk_family())
    assert image.lstrip().startswith(b"<?xml") and b"<svg" in image


def test_an_empty_list_is_an_empty_table_and_codes_read_in_the_departments_words():
    shaped = domain.shape({"campaign_by_department": [], "by_department": {"engineering": 2}})
    tables = {t["title"]: t for t in shaped["tables"]}
    assert tables["Survey by department"]["rows"] == [] and not shaped["facts"]
    assert tables["By department"]["rows"][0][0]["label"] == "Engineering"
