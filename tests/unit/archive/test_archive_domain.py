"""Archive's rules: unit facts and their diff, timeline summaries, the timeline cursor."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.contracts.events import (
    ChargeLine,
    ChargePosted,
    DepositHeld,
    DepositRefunded,
    EntryCorrected,
    Material,
    Occupant,
    PaymentReceived,
    RefundIssued,
    RequestReceived,
    UnitRegistered,
    VisitCompleted,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
    WorkOrderResolved,
)
from services.archive.register import domain as register
from services.archive.timeline import domain as timeline

DEPOSIT = dict(plaza_id="p1", correlation_id="c", unit="A-203", permit_id="pm-1")
WO = dict(plaza_id="p1", correlation_id="c1", work_order_id="wo1", request_id="r1", unit="A-203", department="engineering")


def facts(**over):
    base = dict(area_m2=80.0, use="shop", occupant_name="Li Ming", occupant_kind="merchant",
                occupant_phone="138", key_account=False)
    return register.unit_facts(**{**base, **over})


# --- diff ------------------------------------------------------------------------------


def test_identical_facts_have_no_changes():
    assert register.diff(facts(), facts()) == []


def test_an_integer_area_equals_the_same_float_area():
    assert register.diff(facts(area_m2=80.0), facts(area_m2=80)) == []


def test_a_changed_occupant_names_the_nested_fields_with_before_and_after():
    changes = register.diff(facts(), facts(occupant_name="Wang Fang", occupant_phone="139"))
    assert changes == [
        register.Change("occupant.name", "Li Ming", "Wang Fang"),
        register.Change("occupant.phone", "138", "139"),
    ]


def test_a_new_unit_changes_every_field_from_nothing():
    changes = register.diff(None, facts())
    assert [c.field for c in changes] == [
        "area_m2", "use", "occupant.name", "occupant.kind", "occupant.phone", "key_account",
    ]
    assert all(c.before is None for c in changes)


def test_key_account_flag_change_is_seen():
    assert register.diff(facts(), facts(key_account=True)) == [register.Change("key_account", False, True)]


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"area_m2": 0}, "area_m2"),
        ({"area_m2": -5.0}, "area_m2"),
        ({"area_m2": float("nan")}, "area_m2"),
        ({"area_m2": float("inf")}, "area_m2"),
        ({"use": "warehouse"}, "use"),
        ({"occupant_name": "  "}, "occupant.name"),
        ({"occupant_kind": "tenant"}, "occupant.kind"),
    ],
)
def test_bad_unit_facts_are_refused_naming_the_field(over, field):
    with pytest.raises(register.InvalidFact) as err:
        register.check_unit_facts(facts(**over))
    assert err.value.field == field


def test_good_unit_facts_pass():
    register.check_unit_facts(facts(use="residence", occupant_kind="resident", area_m2=0.5))


# --- summaries -------------------------------------------------------------------------


def line(n: int) -> ChargeLine:
    return ChargeLine(line_id=f"l{n}", kind="labour", description="labour", quantity=1, unit_price_fen=5000, amount_fen=5000)


def test_work_order_closed_counts_its_charge_lines():
    two = WorkOrderClosed(**WO, paid=True, charge_lines=[line(1), line(2)])
    assert timeline.summarize(two) == "work order closed (engineering), 2 charge lines"
    one = WorkOrderClosed(**WO, paid=True, charge_lines=[line(1)])
    assert timeline.summarize(one) == "work order closed (engineering), 1 charge line"
    free = WorkOrderClosed(**WO, paid=False)
    assert timeline.summarize(free) == "work order closed (engineering), no charge"


def test_request_summary_gives_kind_channel_and_referral():
    e = RequestReceived(plaza_id="p1", correlation_id="c", request_id="r", unit="A-203", channel="phone",
                        kind="service", text="家里燃气没有了", serviceable=False, referral="gas company (燃气公司): 96777")
    assert timeline.summarize(e) == 'service received by phone: "家里燃气没有了"; referred to gas company (燃气公司): 96777'


def test_long_request_text_is_cut_to_an_excerpt():
    e = RequestReceived(plaza_id="p1", correlation_id="c", request_id="r", unit="A-203", channel="online",
                        kind="complaint", text="noise " * 40, major=True)
    summary = timeline.summarize(e)
    assert "…" in summary and summary.endswith("(major)") and len(summary) < 120


@pytest.mark.parametrize(
    ("event", "summary"),
    [
        (WorkOrderCreated(**WO, kind="service", text="drain", priority="urgent"), "work order created (engineering), urgent"),
        (WorkOrderResolved(**WO, paid=True, labour_fen=5000, materials=[Material(name="pipe", quantity=2, unit_price_fen=1250)]),
         "work order resolved (engineering), labour ¥50.00 + materials ¥25.00"),
        (WorkOrderReopened(**{**WO, "reopen_count": 1}, reason="still blocked"),
         "work order reopened (engineering), second dispatch #1: still blocked"),
        (WorkOrderEscalated(**WO, level="manager", reason="major complaint"),
         "work order escalated to the manager (engineering): major complaint"),
        (VisitCompleted(plaza_id="p1", correlation_id="c", visit_id="v", work_order_id="wo1", unit="A-203",
                        department="cleaning", rating="basically_satisfied"), "return visit (cleaning): basically satisfied"),
        (ChargePosted(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e", work_order_id="wo1", line_id="l1",
                      description="labour", amount_fen=5005), "charge posted ¥50.05: labour"),
        (PaymentReceived(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e", amount_fen=10000, method="wechat"),
         "payment received ¥100.00 by wechat"),
        (RefundIssued(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e", amount_fen=12000,
                      method="transfer", reason="overpaid  November\nfee"),
         "refund ¥120.00 out of credit by transfer: overpaid November fee"),
        (RefundIssued(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e", amount_fen=5, method="cash"),
         "refund ¥0.05 out of credit by cash"),
        (EntryCorrected(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e2", reverses_entry_id="e1",
                        kind="correction_credit", amount_fen=3050, reason="billed  in\nerror", approver="mgr-zhao"),
         "entry e1 corrected, ¥30.50 reversed: billed in error (approved by mgr-zhao)"),
        (DepositHeld(**DEPOSIT, entry_id="e", amount_fen=500000), "deposit ¥5000.00 held for permit pm-1"),
        (DepositRefunded(**DEPOSIT, entry_id="e", amount_fen=450000, held_fen=500000, deduction_fen=50000,
                         deduction_reason="scratched lift"),
         "deposit refunded ¥4500.00 for permit pm-1 (¥500.00 deducted: scratched lift)"),
        (DepositRefunded(**DEPOSIT, entry_id="e", amount_fen=450000, held_fen=500000, deduction_fen=50000),
         "deposit refunded ¥4500.00 for permit pm-1 (¥500.00 deducted)"),
        (DepositRefunded(**DEPOSIT, entry_id="e", amount_fen=500000, held_fen=500000, deduction_fen=0),
         "deposit refunded ¥5000.00 in full for permit pm-1"),
        (DepositRefunded(**DEPOSIT, amount_fen=0, held_fen=300000, deduction_fen=400000, deduction_reason="wall removed"),
         "deposit ¥3000.00 kept in full for permit pm-1 (¥4000.00 deducted: wall removed)"),
        (DepositRefunded(**DEPOSIT, amount_fen=0, held_fen=0, deduction_fen=80000, deduction_reason="fire door blocked"),
         "permit pm-1 settled without a deposit, ¥800.00 charged: fire door blocked"),
    ],
)
def test_each_event_type_has_a_readable_summary(event, summary):
    assert timeline.summarize(event) == summary


def test_unit_registered_summary_names_what_changed_after_the_first_revision():
    occupant = Occupant(name="Li Ming", kind="merchant")
    first = UnitRegistered(plaza_id="p1", correlation_id="c", unit="A-203", revision=1, area_m2=80.0, use="shop", occupant=occupant)
    assert timeline.summarize(first) == "unit registered: shop, 80 m², merchant Li Ming"
    later = UnitRegistered(plaza_id="p1", correlation_id="c", unit="A-203", revision=2, area_m2=80.0, use="shop", occupant=occupant)
    changed = [c.field for c in register.diff({"occupant": {"name": "Wang"}}, {"occupant": {"name": "Li Ming"}})]
    assert timeline.summarize_unit_registered(later, changed) == "unit updated (revision 2): occupant.name"


# --- cursor ----------------------------------------------------------------------------


def test_cursor_round_trips():
    at = dt.datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=dt.timezone.utc)
    cursor = timeline.TimelineCursor(at, "0190-abc")
    assert timeline.TimelineCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("text", ["not-a-cursor", "", "bm8tcGlwZQ", "MjAyNC0wNS0wMVQwMDowMDowMHxhYmM"])
def test_a_forged_cursor_is_refused(text):
    with pytest.raises(timeline.InvalidFact) as err:
        timeline.TimelineCursor.decode(text)
    assert err.value.field == "cursor"


def test_billing_money_movements_are_in_the_billing_family_of_the_timeline():
    assert {"RefundIssued", "DepositHeld", "DepositRefunded", "EntryCorrected"} <= set(timeline.types_of_kinds(["billing"]))


# --- the fact a timeline entry tells ------------------------------------------------------


def test_the_same_close_sent_again_under_a_new_event_id_is_the_same_fact():
    close = WorkOrderClosed(**WO, paid=False)
    again = WorkOrderClosed(**WO, paid=False)
    assert close.id != again.id and timeline.fact_key(close) == timeline.fact_key(again)
    # The close of the job's next round (after a reopening) is another fact.
    assert timeline.fact_key(WorkOrderClosed(**WO, paid=False, reopen_count=1)) != timeline.fact_key(close)
    assert timeline.fact_key(WorkOrderCreated(**WO, kind="service", text="x")) != timeline.fact_key(close)


def test_an_escalation_is_a_new_fact_each_time():
    escalated = dict(**WO, level="supervisor", reason="late")
    assert timeline.fact_key(WorkOrderEscalated(**escalated)) is None  # its event id is its only key


def test_a_fact_key_longer_than_its_column_is_kept_as_a_digest():
    charge = dict(plaza_id="p1", correlation_id="c", unit="A-203", entry_id="e1", work_order_id="wo1",
                  description="labour", amount_fen=100)
    long_line = ChargePosted(**charge, line_id="l" * 300)
    key = timeline.fact_key(long_line)
    assert len(key) <= timeline.FACT_KEY_LENGTH and key.startswith("ChargePosted/sha256:")
    assert key == timeline.fact_key(ChargePosted(**{**charge, "entry_id": "e2"}, line_id="l" * 300))
    assert key != timeline.fact_key(ChargePosted(**charge, line_id="l" * 301))
    assert timeline.fact_key(ChargePosted(**charge, line_id="wo1:1")) == "ChargePosted/wo1:1"
