"""The prepaid utilities' month as finance reads it (HTTP, real nats-server, SQLite and
PostgreSQL): recharges by method and day add up to the recharges made, deductions, the
month-end balances and the units under the warning level; the monthly report shows
recharges as their own line; both as Excel a manager can hand on."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.integration.billing.test_billing_fees_dunning import ACCOUNT, P, _ok, billing  # noqa: F401
from tests.support.archive_facts import unit_registered
from tests.support.harness import eventually

RECHARGES = [("A-203", "electricity", 5000, "wechat"), ("A-203", "water", 1200, "cash"),
             ("A-204", "electricity", 800, "wechat"), ("A-204", "electricity", 300, "alipay")]


def this_month() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


async def _recharged(billing, bus):
    await bus.publish(unit_registered("p1", "A-204"))
    await eventually(lambda: _ok(billing, f"{P}/accounts/A-204"), what="A-204 known")
    for utility, price in (("electricity", 60), ("water", 350)):
        assert (await billing.put(f"{P}/prepaid/tariffs/{utility}", json={"price_fen": price, "low_balance_fen": 2000})).status_code == 200
    for i, (unit, utility, amount, method) in enumerate(RECHARGES):
        r = await billing.post(f"{P}/accounts/{unit}/prepaid/{utility}/recharges", json={"amount_fen": amount, "method": method},
                               headers={"Idempotency-Key": f"rc-{i}"})
        assert r.status_code == 201, r.text
    await billing.post(f"{ACCOUNT}/meter-readings", json={"utility": "electricity", "reading": 1000})
    r = await billing.post(f"{ACCOUNT}/meter-readings", json={"utility": "electricity", "reading": 1050})
    assert r.json()["deduction_fen"] == 3000


async def test_the_prepaid_summary_adds_up_to_the_recharges_made(billing, bus):
    await _recharged(billing, bus)
    s = (await billing.get(f"{P}/prepaid/summary", params={"month": this_month()})).json()
    made = sum(amount for *_, amount, _ in RECHARGES)
    assert (s["recharged_fen"], s["recharges"]) == (made, len(RECHARGES))
    assert {m["method"]: (m["amount_fen"], m["count"]) for m in s["by_method"]} == {
        "wechat": (5800, 2), "cash": (1200, 1), "alipay": (300, 1)}
    assert sum(d["amount_fen"] for d in s["by_day"]) == made and sum(d["count"] for d in s["by_day"]) == len(RECHARGES)
    assert (s["deducted_fen"], s["deductions"]) == (3000, 1)
    balances = {(b["unit"], b["utility"]): b["balance_fen"] for b in s["balances"]}
    assert balances == {("A-203", "electricity"): 2000, ("A-203", "water"): 1200, ("A-204", "electricity"): 1100}
    assert sorted((b["unit"], b["utility"]) for b in s["below_warning"]) == [("A-203", "water"), ("A-204", "electricity")]

    report = (await billing.get(f"{P}/reports/monthly", params={"month": this_month()})).json()
    assert report["recharged_fen"] == made and report["collected_fen"] == 0  # a line of its own

    book = load_workbook(io.BytesIO((await billing.get(
        f"{P}/prepaid/summary", params={"month": this_month(), "format": "xlsx"})).content))
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["充值金额"] == made / 100 and summary["充值笔数"] == len(RECHARGES)
    assert book["汇总"]["B4"].number_format == '"¥"#,##0.00' and book["汇总"].freeze_panes == "A2"
    methods = list(book["按支付方式"].iter_rows(values_only=True))
    assert methods[0] == ("支付方式", "金额", "笔数") and ("微信", 58, 2) in methods
    assert len(book["按支付方式"]._charts) == 1 and len(book["按日"]._charts) == 1
    en = load_workbook(io.BytesIO((await billing.get(
        f"{P}/prepaid/summary", params={"month": this_month(), "format": "xlsx", "lang": "en"})).content))
    assert [c.value for c in en["by method"][1]] == ["method", "amount", "count"]
    assert ("A-204", "electricity") in [r[:2] for r in en["below warning"].iter_rows(values_only=True)]
    assert ("A-204", "电") in [r[:2] for r in book["低于预警"].iter_rows(values_only=True)]


async def test_the_prepaid_report_and_the_monthly_report_as_excel(billing, bus):
    await _recharged(billing, bus)
    r = await billing.get(f"{P}/prepaid/report", params={"format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content))["水电抄表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("单元", "类别", "抄表次数") and rows[1][:3] == ("A-203", "电", 2)
    assert sheet["G2"].value == 30 and sheet["G2"].number_format == '"¥"#,##0.00'

    monthly = load_workbook(io.BytesIO((await billing.get(
        f"{P}/reports/monthly", params={"month": this_month(), "format": "xlsx"})).content))
    lines = {r[0]: r[1] for r in monthly["汇总"].iter_rows(min_row=2, values_only=True)}
    assert lines["水电充值"] == 73 and lines["应收"] == 0
    assert len(monthly["账龄"]._charts) == 1


async def test_a_format_or_language_the_report_has_not_is_refused(billing):
    for path, params in (("reports/monthly", {"month": this_month(), "format": "pdf"}),
                         ("prepaid/report", {"format": "csv"}),
                         ("prepaid/summary", {"month": this_month(), "format": "xml"})):
        r = await billing.get(f"{P}/{path}", params=params)
        assert r.status_code == 400 and r.json()["field"] == "format", r.text
    r = await billing.get(f"{P}/prepaid/summary", params={"month": this_month(), "format": "xlsx", "lang": "fr"})
    assert r.status_code == 400 and r.json()["field"] == "lang"
