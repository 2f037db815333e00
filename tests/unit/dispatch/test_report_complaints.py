"""The complaint report's rules: its read of requests follows the desk's corrections in any
order, a complaint is what the request's kind says now, the trend compares each month with
the one before, and the chart falls back to English without a CJK font."""

from __future__ import annotations

import datetime as dt

from libs.contracts.events import RequestReceived, RequestReclassified
from services.dispatch.reports import domain, export

UTC = dt.timezone.utc
T = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


def received(kind: str = "service", **extra) -> RequestReceived:
    return RequestReceived(plaza_id="p1", correlation_id="c", occurred_at=T, request_id="rq-1", unit="A-1",
                           channel="phone", kind=kind, text="the lift is broken, nobody cares", **extra)


def corrected(kind: str, previous_kind: str, minutes: int, **extra) -> RequestReclassified:
    return RequestReclassified(plaza_id="p1", correlation_id="c", occurred_at=T + dt.timedelta(minutes=minutes),
                               actor="cs-wang", request_id="rq-1", unit="A-1", kind=kind,
                               previous_kind=previous_kind, reason="blames the management", **extra)


def test_a_correction_moves_the_kind_and_a_late_or_repeated_one_changes_nothing():
    row = domain.received(None, received())
    row = domain.corrected(row, corrected("complaint", "service", 5, major=True, department="engineering"))
    assert (row["kind"], row["received_kind"], row["major"], row["department"]) == ("complaint", "service", True, "engineering")
    assert domain.corrected(row, corrected("service", "complaint", 1)) is None  # older than the one applied
    assert domain.corrected(row, corrected("complaint", "service", 5)) is None  # the same, again
    assert domain.corrected(row, corrected("praise", "complaint", 9))["kind"] == "praise"


def test_a_request_received_after_its_correction_keeps_the_corrected_kind():
    early = domain.corrected(None, corrected("complaint", "suggestion", 5, department="cleaning"))
    assert (early["received_kind"], early["channel"], early["text"]) == ("suggestion", None, None)
    row = domain.received(early, received("suggestion"))
    assert (row["kind"], row["received_kind"], row["channel"], row["department"]) == ("complaint", "suggestion", "phone", "cleaning")
    assert row["received_at"] == T


def _row(**change) -> dict:
    """A work order of kind service, and its request as the report read it."""
    base = {
        "id": "wo-1", "request_id": "rq-1", "kind": "service", "category": None, "original_department": "engineering",
        "created_at": T, "first_responded_at": None, "closed_at": None, "first_closed_at": None, "reopen_count": 0,
        "unit": "A-1", "text": "the lift is broken, nobody cares", "status": "assigned", "last_rating": None,
        "major": False,
    }
    request = domain.received(None, received())
    base |= {f"rr_{k}": v for k, v in request.items()}
    return base | change


def test_the_requests_kind_now_decides_over_the_work_orders():
    assert domain.entry(_row(), ZONE) is None  # a service job
    made = domain.entry(_row(rr_kind="complaint"), ZONE)
    assert (made["reclassified"], made["category"], made["month"], made["status"]) == (True, "repairs", "2026-03", "assigned")
    assert domain.entry(_row(kind="complaint", rr_kind="service", rr_received_kind="complaint"), ZONE) is None
    unseen = {k: (None if k.startswith("rr_") else v) for k, v in _row(kind="complaint", category="repairs").items()}
    assert domain.entry(unseen, ZONE)["reclassified"] is False  # opened before the report read requests


def test_a_complaint_without_a_work_order_is_listed_as_not_dispatched_in_the_month_received():
    row = {k: (None if not k.startswith("rr_") else v) for k, v in _row(rr_kind="complaint", rr_department="cleaning").items()}
    made = domain.entry(row, ZONE)
    assert (made["status"], made["original_department"], made["work_order_id"], made["unit"]) == ("not_dispatched", "cleaning", None, "A-1")
    assert made["month"] == "2026-03" and made["text"] == "the lift is broken, nobody cares"


def test_the_trend_compares_each_of_six_months_with_the_one_before():
    entries = [{"month": m, "major": major} for m, major in
               [("2025-09", False), ("2025-09", True), ("2025-10", False), ("2026-03", True), ("2026-03", False)]]
    trend = domain.trend("2026-03", entries)
    assert [m.month for m in trend] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert (trend[0].count, trend[0].change, trend[0].change_rate) == (1, -1, -0.5)
    assert (trend[1].count, trend[1].change, trend[1].change_rate) == (0, -1, -1.0)
    assert (trend[-1].count, trend[-1].major, trend[-1].change, trend[-1].change_rate) == (2, 1, 2, None)
    assert domain.shift_month("2026-01", -1) == "2025-12" and domain.shift_month("2025-12", 1) == "2026-01"


def test_the_analysis_lists_the_months_complaints_and_counts_major_channels_and_corrections():
    rows = [_row(rr_kind="complaint", rr_major=True, last_rating="satisfied"),
            _row(id="wo-2", request_id="rq-2", rr_request_id="rq-2", rr_kind="complaint", rr_channel="online",
                 created_at=T - dt.timedelta(days=20))]
    entries = [domain.entry(r, ZONE) for r in rows]
    report = domain.analysis("2026-03", entries, [], T, corrected_away=2)
    assert (report.count, report.major, report.reclassified_into_complaint, report.reclassified_away) == (1, 1, 1, 2)
    assert report.by_channel == {"phone": 1} and report.by_rating == {"satisfied": 1}
    [line] = report.complaints
    assert (line.work_order_id, line.rating, line.department) == ("wo-1", "satisfied", "engineering")
    assert [(m.month, m.count) for m in report.trend][-2:] == [("2026-02", 1), ("2026-03", 1)]


def test_the_chart_is_labelled_in_english_when_no_cjk_font_is_found(monkeypatch):
    report = domain.analysis("2026-03", [], [], T, corrected_away=0)
    monkeypatch.setattr(export, "CJK_FONTS", ("No Such Font 甲",))
    export.cjk_font.cache_clear()
    try:
        svg = export.to_svg(report, "p1").decode()
    finally:
        export.cjk_font.cache_clear()
    assert "monthly trend" in svg and "月度趋势" not in svg and "投诉" not in svg
