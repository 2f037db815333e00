"""SLA rules: the business calendar, deadlines per class, the escalation ladder; the stock
rules; the complaint statistics against a hand calculation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from libs.runtime import foureyes
from libs.runtime.errors import Conflict
from services.dispatch.reports import domain as domain_reports
from services.dispatch.sla import domain as domain_sla
from services.dispatch.sla.domain import Calendar, SlaPolicy
from services.dispatch.stock import domain as domain_stock
from services.dispatch.work_orders import domain as work_orders

SH = ZoneInfo("Asia/Shanghai")
CAL = Calendar()


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (local(2026, 3, 2, 10, 0), 30, local(2026, 3, 2, 10, 30)),  # Monday, inside hours
        (local(2026, 3, 2, 17, 50), 30, local(2026, 3, 3, 8, 50)),  # runs over into Tuesday morning
        (local(2026, 3, 7, 17, 50), 30, local(2026, 3, 9, 8, 50)),  # Saturday evening → Monday (Sunday closed)
        (local(2026, 3, 8, 11, 0), 30, local(2026, 3, 9, 9, 0)),  # logged on Sunday
        (local(2026, 3, 2, 6, 0), 480, local(2026, 3, 2, 16, 30)),  # before opening: 8 h from 08:30
        (local(2026, 3, 2, 12, 0), 480, local(2026, 3, 3, 10, 30)),  # 6 h on Monday, 2 h on Tuesday
    ],
)
def test_business_minutes_count_only_working_hours(start, minutes, due):
    assert domain_sla.add_business_minutes(start, minutes, CAL) == due.astimezone(dt.timezone.utc)


def test_closed_dates_and_custom_hours_are_skipped():
    cal = Calendar(opens="09:00", closes="17:00", working_days=[1, 2, 3, 4, 5], closed_dates=[dt.date(2026, 3, 3)])
    # Monday 16:30 + 60 min: 30 min Monday, Tuesday is a holiday, 30 min on Wednesday.
    assert domain_sla.add_business_minutes(local(2026, 3, 2, 16, 30), 60, cal) == local(2026, 3, 4, 9, 30)


def test_default_deadlines_per_class():
    opened = local(2026, 3, 7, 22, 0)  # Saturday night, after hours
    emergency = {d.name: d for d in domain_sla.deadlines_for("emergency", opened, domain_sla.DEFAULT_POLICY)}
    assert emergency["respond"].due_at == opened + dt.timedelta(minutes=15)  # 24/7
    assert emergency["on_site"].due_at == opened + dt.timedelta(minutes=30)
    assert emergency["resolve"].due_at == opened + dt.timedelta(hours=24)
    assert emergency["respond"].manager_at == opened + dt.timedelta(minutes=22, seconds=30)  # + half the allowance

    urgent = {d.name: d for d in domain_sla.deadlines_for("urgent", opened, domain_sla.DEFAULT_POLICY)}
    assert set(urgent) == {"respond", "resolve"}
    assert urgent["respond"].due_at == local(2026, 3, 9, 9, 0)  # Monday 08:30 + 30 min
    assert urgent["resolve"].due_at == local(2026, 3, 9, 16, 30)  # 8 business hours
    assert urgent["resolve"].manager_at == local(2026, 3, 10, 11, 0)  # + 4 business hours: 1.5 h Monday, 2.5 h Tuesday

    complaint = {d.name: d for d in domain_sla.deadlines_for("complaint", opened, domain_sla.DEFAULT_POLICY)}
    assert complaint["respond"].due_at == opened + dt.timedelta(hours=24)
    assert complaint["resolve"].due_at == opened + dt.timedelta(days=7)


def test_a_second_dispatch_gets_half_the_resolve_allowance():
    reopened = local(2026, 3, 2, 10, 0)
    deadline = domain_sla.reopen_deadline("normal", reopened, 1, domain_sla.DEFAULT_POLICY)
    assert (deadline.name, deadline.round, deadline.due_at) == ("resolve", 1, reopened + dt.timedelta(hours=12))
    tighter = SlaPolicy(reopen_factor=0.25)
    assert domain_sla.reopen_deadline("normal", reopened, 2, tighter).due_at == reopened + dt.timedelta(hours=6)


@pytest.mark.parametrize(
    ("kind", "priority", "warranty", "cls"),
    [("service", "emergency", False, "emergency"), ("complaint", "urgent", False, "complaint"),
     ("service", "normal", True, "warranty"), ("service", "normal", False, "normal")],
)
def test_sla_class(kind, priority, warranty, cls):
    assert domain_sla.sla_class(kind, priority, warranty) == cls


def test_which_action_meets_which_deadline():
    assert domain_sla.deadlines_met_by("assign", "normal") == ("respond",)
    assert domain_sla.deadlines_met_by("start", "emergency") == ("on_site",)
    assert domain_sla.deadlines_met_by("resolve", "normal") == ("resolve",)
    assert domain_sla.deadlines_met_by("resolve", "complaint") == ()  # a complaint is settled when closed
    assert domain_sla.deadlines_met_by("close", "complaint") == ("resolve",)


def test_the_ladder_climbs_each_rung_once_and_in_order():
    due, manager = local(2026, 3, 2, 10, 0), local(2026, 3, 2, 10, 30)
    assert domain_sla.escalations_due(due, manager, None, local(2026, 3, 2, 9, 59)) == []
    assert domain_sla.escalations_due(due, manager, None, local(2026, 3, 2, 10, 0)) == ["supervisor"]
    assert domain_sla.escalations_due(due, manager, "supervisor", local(2026, 3, 2, 10, 10)) == []
    assert domain_sla.escalations_due(due, manager, "supervisor", local(2026, 3, 2, 10, 30)) == ["manager"]
    assert domain_sla.escalations_due(due, manager, "manager", local(2026, 3, 2, 23, 0)) == []
    # Down all day: both rungs at the first sweep back, supervisor first.
    assert domain_sla.escalations_due(due, manager, None, local(2026, 3, 3, 9, 0)) == ["supervisor", "manager"]


def test_a_policy_with_an_unknown_timezone_or_empty_day_is_refused():
    with pytest.raises(domain_sla.PolicyRefused) as refused:
        domain_sla.check_policy(SlaPolicy(calendar=Calendar(timezone="Mars/Olympus")))
    assert refused.value.field == "calendar.timezone"
    with pytest.raises(domain_sla.PolicyRefused) as refused:
        domain_sla.check_policy(SlaPolicy(calendar=Calendar(opens="18:00", closes="08:30")))
    assert refused.value.field == "calendar.closes"


def test_the_queue_orders_by_the_earliest_open_deadline():
    a, b = local(2026, 3, 2, 10, 0), local(2026, 3, 2, 11, 0)
    rows = [
        {"name": "respond", "round": 0, "due_at": a, "met_at": a, "voided": False},
        {"name": "resolve", "round": 0, "due_at": b, "met_at": None, "voided": False},
        {"name": "resolve", "round": 1, "due_at": a, "met_at": None, "voided": True},
    ]
    assert domain_sla.next_due(rows) == b
    assert domain_sla.current_due(rows) == {"respond": a, "resolve": a}


# --- stock -------------------------------------------------------------------------------


def test_issuing_more_than_on_hand_is_refused_naming_the_sku():
    assert domain_stock.issue("PIPE-20", 5, 3, "materials[0].sku") == 2
    with pytest.raises(domain_stock.StockRefused) as refused:
        domain_stock.issue("PIPE-20", 2, 3, "materials[0].sku")
    assert refused.value.field == "materials[0].sku" and "PIPE-20" in str(refused.value)


def test_adjustments_need_a_reason_and_cannot_go_below_zero():
    assert domain_stock.adjust("GLUE", 4, -1, "broken in the store") == 3
    for delta, reason, field in [(-1, " ", "reason"), (0, "recount", "delta"), (-5, "recount", "delta")]:
        with pytest.raises(domain_stock.StockRefused) as refused:
            domain_stock.adjust("GLUE", 4, delta, reason)
        assert refused.value.field == field


def test_an_adjustment_is_approved_by_a_second_person_only():
    assert foureyes.decide("pending", "keeper-liu", "supervisor-wang", "this adjustment", approve=True) == "approved"
    assert foureyes.decide("pending", "keeper-liu", "keeper-liu", "this adjustment", approve=False) == "rejected"  # withdrawn
    with pytest.raises(foureyes.FourEyesRefused, match="^four eyes: "):
        foureyes.decide("pending", "keeper-liu", "keeper-liu", "this adjustment", approve=True)
    with pytest.raises(Conflict) as refused:
        foureyes.decide("rejected", "keeper-liu", "supervisor-wang", "this adjustment", approve=True)
    assert refused.value.field == "status"


def test_low_stock_is_announced_when_the_line_is_crossed():
    assert domain_stock.became_low(5, 2, 2) is True
    assert domain_stock.became_low(2, 1, 2) is False  # already low: not announced again
    assert domain_stock.became_low(5, 3, 2) is False


# --- complaint report ----------------------------------------------------------------------


def _complaint(cat, dept, created, responded=None, closed=None, first_closed=None, reopens=0) -> dict:
    return {"category": cat, "original_department": dept, "created_at": created, "first_responded_at": responded,
            "closed_at": closed, "first_closed_at": first_closed or closed, "reopen_count": reopens}


def _deadline(due, met=None, voided=False) -> dict:
    return {"due_at": due, "met_at": met, "voided": voided}


def test_complaint_report_matches_a_hand_calculation():
    t = local(2026, 3, 2, 10, 0)
    h = dt.timedelta(hours=1)
    complaints = [
        _complaint("staff_attitude", "security", t, t + 0.5 * h, t + 5 * h, t + 2 * h, reopens=1),
        _complaint("cleanliness", "cleaning", t, t + 1.5 * h),
        _complaint("staff_attitude", "customer_service", t),
        _complaint("parking", "security", t, t + 2.5 * h, t + 3 * h),
    ]
    deadlines = [
        _deadline(t + 24 * h, met=t + h),  # on time
        _deadline(t + 2 * h, met=t + 3 * h),  # late
        _deadline(t + 10 * h),  # missed (now is t + 30 h)
        _deadline(t + 100 * h),  # still running: not judged
        _deadline(t + h, voided=True),  # cancelled: not judged
    ]
    report = domain_reports.complaint_report("2026-03", complaints, deadlines, t + 30 * h)
    assert report.count == 4
    assert report.by_category == {"cleanliness": 1, "parking": 1, "staff_attitude": 2}
    assert report.by_department == {"cleaning": 1, "customer_service": 1, "security": 2}
    assert report.median_minutes_to_first_response == 90.0  # 30, 90, 150
    assert report.median_minutes_to_close == 240.0  # 300, 180
    assert (report.closed, report.reopened, report.reopen_rate) == (2, 1, 0.5)
    assert report.reopens_by_department == {"security": 1}
    assert (report.deadlines_judged, report.deadlines_met_on_time, report.sla_compliance) == (3, 1, 0.3333)


def test_month_range_is_the_plazas_month():
    start, end = domain_reports.month_range("2026-12", "Asia/Shanghai")
    assert start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("text", "category"),
    [("保安态度差", "staff_attitude"), ("楼上噪音太大", "noise"), ("the bill is wrong", "fees"), ("something else", "other")],
)
def test_complaint_categories(text, category):
    assert work_orders.complaint_category(text) == category
