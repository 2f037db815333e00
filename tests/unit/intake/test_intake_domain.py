"""Intake's rules: classification, complaint severity, praise routing, referrals, the
handover capacity and the renovation permit's state machine. No I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.contracts.events import plaza_zone
from services.intake.movein import domain as movein
from services.intake.requests import domain
from services.intake.requests.domain import ClassificationRules, DepartmentRule, KindRule, Refused


@pytest.mark.parametrize(
    ("text", "kind", "severity", "department", "phone"),
    [
        ("A-203 下水道堵了", "service", None, None, None),
        ("我要投诉保安态度差", "complaint", "normal", None, None),
        ("投诉：地面湿滑顾客受伤，我们要找律师", "complaint", "major", None, None),
        ("Complaint: the music is slightly too loud", "complaint", "minor", None, None),
        ("I complain: a bit noisy, and a journalist saw it", "complaint", "major", None, None),
        ("表扬保安小王", "praise", None, "security", None),
        ("Thank you to the Cleaning team", "praise", None, "cleaning", None),
        ("感谢工程部维修及时", "praise", None, "engineering", None),
        ("thank you all", "praise", None, None, None),
        ("建议增加停车位", "suggestion", None, None, None),
        ("家里燃气没有了", "service", None, None, "96777"),
        ("the street light outside is off (路灯)", "service", None, None, "12345"),
        ("有人盗窃，请报警", "service", None, None, "110"),
    ],
)
def test_default_rules_assess_the_text(text, kind, severity, department, phone):
    found = domain.assess(text)
    assert (found.kind, found.severity, found.praised_department) == (kind, severity, department)
    assert (found.referral.phone if found.referral else None) == phone
    assert found.major == (severity == "major")


def test_the_reason_names_what_decided():
    assert domain.assess("我要投诉").kind_reason.startswith("model: complaint (0.")
    assert domain.assess("受伤了，投诉").severity_reason == "rule: injury 受伤"


def test_the_clerk_overrides_kind_and_severity():
    found = domain.assess("thank you, but the door is broken", kind="complaint", severity="major")
    assert (found.kind, found.kind_reason, found.severity, found.severity_reason) == (
        "complaint", domain.CLERK, "major", domain.CLERK,
    )
    assert found.major


def test_severity_on_anything_but_a_complaint_is_refused():
    with pytest.raises(Refused) as err:
        domain.assess("谢谢", severity="major")
    assert err.value.field == "severity"


def test_blank_text_is_refused():
    with pytest.raises(Refused) as err:
        domain.assess("   ")
    assert err.value.field == "text"


def test_a_referral_is_only_for_service_requests():
    assert domain.assess("投诉燃气公司").referral is None  # a complaint is ours to handle


def test_plaza_rules_replace_the_defaults_in_order():
    rules = ClassificationRules(
        kinds=[KindRule(kind="praise", keywords=["Kudos"]), KindRule(kind="complaint", keywords=["kudos to nobody"])],
        major_keywords=["FIRE"],
        praise_departments=[DepartmentRule(department="parking", keywords=["停车"])],
    )
    assert domain.assess("kudos to nobody", rules).kind_reason == "plaza rule: keyword 'Kudos'"  # first rule wins
    assert domain.assess("kudos, 停车场 staff", rules).praised_department == "parking"
    assert domain.assess("我要投诉", rules).kind == "complaint"  # no rule matches: the model reads it
    assert domain.assess("fire exit blocked", rules, kind="complaint").severity == "major"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (ClassificationRules(kinds=[KindRule(kind="praise", keywords=[" "])], major_keywords=[]), "kinds[0].keywords"),
        (ClassificationRules(kinds=[KindRule(kind="praise", keywords=[])], major_keywords=[]), "kinds[0].keywords"),
        (
            ClassificationRules(kinds=[], major_keywords=[], praise_departments=[DepartmentRule(department="Bad Dept", keywords=["x"])]),
            "praise_departments[0].department",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_field(rules, field):
    with pytest.raises(Refused) as err:
        domain.check_rules(rules)
    assert err.value.field == field


def test_a_directory_entry_needs_a_phone_number():
    directory = domain.ReferralDirectory(entries=[domain.ReferralEntry(topic="gas", phone="call them", keywords=["gas"])])
    with pytest.raises(Refused) as err:
        domain.check_directory(directory)
    assert err.value.field == "entries[0].phone"


def test_capacity_per_day_with_a_day_overridden():
    capacity = movein.Capacity(per_day=10, by_date={dt.date(2026, 3, 1): 2})
    assert capacity.on(dt.date(2026, 3, 1)) == 2 and capacity.on(dt.date(2026, 3, 2)) == 10
    assert movein.Capacity().on(dt.date(2026, 3, 2)) == movein.DEFAULT_DAILY_CAPACITY


def test_a_booking_in_the_past_is_refused():
    with pytest.raises(Refused) as err:
        movein.check_booking(dt.date(2026, 1, 1), today=dt.date(2026, 1, 2))
    assert err.value.field == "date"


@pytest.mark.parametrize(
    ("at", "timezone", "day"),
    [
        # 23:30 UTC on the 1st is 07:30 on the 2nd in Shanghai: the 1st is already past there.
        (dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), "Asia/Shanghai", dt.date(2026, 3, 2)),
        # 02:00 UTC on the 2nd is still the evening of the 1st in New York.
        (dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), "America/New_York", dt.date(2026, 3, 1)),
        # A plaza intake has no zone for (not told yet, or a name it cannot read): Shanghai.
        (dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), None, dt.date(2026, 3, 2)),
        (dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), "Mars/Olympus_Mons", dt.date(2026, 3, 2)),
    ],
)
def test_the_plazas_day_is_counted_in_its_own_time_zone(at, timezone, day):
    assert movein.local_day(at, plaza_zone(timezone)) == day


def test_renovation_walks_apply_review_approve_inspect_close():
    status = "applied"
    for step in ("review:approve", "approve", "final_inspection:failed", "final_inspection:passed", "close"):
        status = movein.next_status(status, step)
    assert status == "closed"


@pytest.mark.parametrize(
    ("status", "step"),
    [("applied", "approve"), ("rejected", "approve"), ("approved", "close"), ("closed", "close"), ("reviewed", "review:reject")],
)
def test_an_invalid_renovation_step_is_refused_naming_the_status(status, step):
    with pytest.raises(movein.TransitionRefused) as err:
        movein.next_status(status, step)
    assert f"is {status}" in err.value.detail and err.value.field == "status"


@pytest.mark.parametrize(
    ("deduction", "reason", "field"),
    [(-1, None, "deduction_fen"), (600, "damage", "deduction_fen"), (100, None, "deduction_reason")],
)
def test_a_deduction_is_bounded_by_the_deposit_and_needs_a_reason(deduction, reason, field):
    with pytest.raises(Refused) as err:
        movein.check_deduction(deduction, reason, deposit_fen=500)
    assert err.value.field == field


def test_a_renovation_cannot_start_before_the_plazas_today():
    with pytest.raises(Refused) as err:
        movein.check_application(dt.date(2026, 3, 1), dt.date(2026, 3, 9), 500, "Meijia", today=dt.date(2026, 3, 2))
    assert err.value.field == "start" and "2026-03-01" in err.value.detail
    movein.check_application(dt.date(2026, 3, 2), dt.date(2026, 3, 2), 500, "Meijia", today=dt.date(2026, 3, 2))


def test_a_renovation_ending_before_it_starts_is_refused():
    with pytest.raises(Refused) as err:
        movein.check_application(dt.date(2026, 3, 5), dt.date(2026, 3, 4), 500, "Meijia", today=dt.date(2026, 3, 2))
    assert err.value.field == "end"


def test_a_permit_is_open_until_it_is_closed_or_rejected():
    assert movein.OPEN_RENOVATION == {"applied", "reviewed", "approved", "rectification_required", "inspection_passed"}
    refused = movein.already_open("B-101", "pm-1", "approved")
    assert refused.field == "unit" and "pm-1" in refused.detail and "approved" in refused.detail
