"""Billing rules beyond the basics: derived balances, FIFO allocation, ageing and dunning
stages, fee pro-rating, prepaid deductions. Pure, property-based where it pays."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.runtime import foureyes
from libs.runtime.errors import Conflict
from services.billing import facts
from services.billing.dunning import domain as domain_arrears
from services.billing.fees import domain as domain_fees
from services.billing.ledger import domain
from services.billing.prepaid import domain as domain_prepaid

DAY0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class Entry(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    amount_fen: int
    occurred_at: dt.datetime = DAY0
    due_date: dt.date | None = None
    reverses_entry_id: str | None = None
    invoice_id: str | None = None
    work_order_id: str | None = None
    utility: str | None = None
    description: str = ""


amounts = st.integers(min_value=1, max_value=10_000_000)
ledger_kinds = st.sampled_from(["charge", "fee", "payment", "refund", "deposit_held", "prepaid_recharge"])


@st.composite
def ledgers(draw):
    rows = draw(st.lists(st.tuples(ledger_kinds, amounts, st.integers(0, 400)), max_size=25))
    entries = [Entry(id=f"e{i}", kind=k, amount_fen=a, due_date=dt.date(2026, 1, 1) + dt.timedelta(days=d),
                     utility="water" if k == "prepaid_recharge" else None) for i, (k, a, d) in enumerate(rows)]
    # Reverse some of the correctable ones, as finance would.
    for e in list(entries):
        if e.kind in domain.CORRECTABLE and draw(st.booleans()):
            c = domain.correction(e, "typo", "manager-zhao")
            entries.append(Entry(id=f"c-{e.id}", kind=c.kind, amount_fen=c.amount_fen, reverses_entry_id=e.id))
    return draw(st.permutations(entries))


@settings(max_examples=150, deadline=None, database=None)
@given(ledgers())
def test_every_balance_is_the_signed_sum_of_its_entries(entries):
    b = domain.balances(entries)
    assert b.owed_fen == sum(domain.EFFECT[e.kind][0] * e.amount_fen for e in entries)
    assert b.deposit_held_fen == sum(e.amount_fen for e in entries if e.kind == "deposit_held")
    assert b.prepaid_fen.get("water", 0) == sum(e.amount_fen for e in entries if e.kind == "prepaid_recharge")


@settings(max_examples=150, deadline=None, database=None)
@given(ledgers())
def test_open_items_add_up_to_what_is_owed_and_oldest_is_paid_first(entries):
    items = domain.open_items(entries, dt.timezone.utc)
    owed = domain.owed_fen(entries)
    assert sum(i.open_fen for i in items) == max(owed, 0)
    # FIFO: at most one item is part-paid, and it is the oldest still open.
    partly = [i for i in items if i.open_fen < i.amount_fen]
    assert len(partly) <= 1
    if partly:
        assert partly[0] == items[0]


def test_a_payment_goes_to_the_oldest_invoice_first():
    entries = [
        Entry(id="new", kind="fee", amount_fen=300, due_date=dt.date(2026, 3, 15)),
        Entry(id="old", kind="fee", amount_fen=200, due_date=dt.date(2026, 2, 15)),
        Entry(id="pay", kind="payment", amount_fen=250),
    ]
    assert [(i.entry_id, i.open_fen) for i in domain.open_items(entries, dt.timezone.utc)] == [("new", 250)]


def test_a_corrected_charge_is_no_longer_open():
    entries = [Entry(id="c", kind="charge", amount_fen=500, due_date=dt.date(2026, 1, 5)),
               Entry(id="x", kind="correction_credit", amount_fen=500, reverses_entry_id="c")]
    assert domain.open_items(entries, dt.timezone.utc) == [] and domain.owed_fen(entries) == 0


def test_a_correction_of_a_correction_is_refused_naming_the_entry():
    c = Entry(id="x", kind="correction_credit", amount_fen=500, reverses_entry_id="c")
    with pytest.raises(domain.Refused) as refused:
        domain.correction(c, "again", "boss")
    assert refused.value.field == "entry_id"


def test_a_correction_needs_a_reason_and_an_approver():
    charge = Entry(id="c", kind="charge", amount_fen=5)
    for reason, approver, field in (("", "boss", "reason"), ("typo", " ", "approver")):
        with pytest.raises(domain.Refused) as refused:
            domain.correction(charge, reason, approver)
        assert refused.value.field == field


def test_a_refund_or_correction_is_decided_once_and_never_approved_by_its_asker():
    assert foureyes.decide("pending", "clerk-li", "fin-zhou", "this refund", approve=True) == "approved"
    assert foureyes.decide("pending", "clerk-li", "clerk-li", "this refund", approve=False) == "rejected"  # withdrawn
    for what in ("this refund", "this correction"):
        with pytest.raises(foureyes.FourEyesRefused, match=f"^four eyes: {what} was requested by 'clerk-li'"):
            foureyes.decide("pending", "clerk-li", "clerk-li", what, approve=True)
    with pytest.raises(Conflict) as refused:
        foureyes.decide("approved", "clerk-li", "fin-zhou", "this refund", approve=False)
    assert refused.value.field == "status"


def test_a_refund_is_never_more_than_the_credit():
    with pytest.raises(domain.Refused) as refused:
        domain.refund(501, "cash", None, credit=500)
    assert refused.value.field == "amount_fen" and "500" in refused.value.detail
    assert domain.refund(500, "cash", None, credit=500).amount_fen == 500


@pytest.mark.parametrize(("days", "bucket"), [(0, None), (1, "1-29"), (29, "1-29"), (30, "30-59"), (60, "60-89"),
                                              (90, "90-179"), (179, "90-179"), (180, "180+"), (900, "180+")])
def test_ageing_buckets(days, bucket):
    assert domain_arrears.bucket(days) == bucket


def test_one_reminder_per_item_per_stage_and_escalation_at_180():
    item = domain.OpenItem(entry_id="e", kind="fee", description="", amount_fen=9, open_fen=9,
                                   due_date=dt.date(2026, 1, 1))
    first = domain_arrears.reminders_due([item], dt.date(2026, 1, 10), set())
    assert [r.stage for r in first] == ["1-29"]
    assert domain_arrears.reminders_due([item], dt.date(2026, 1, 20), {("e", "1-29")}) == []
    late = domain_arrears.reminders_due([item], dt.date(2026, 7, 1), {("e", "1-29")})
    assert [(r.stage, r.escalate) for r in late] == [("180+", True)]


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-12", "", "2026-12-01"])
def test_a_bad_period_is_refused(text):
    with pytest.raises(domain.Refused) as refused:
        domain_fees.parse_period(text)
    assert refused.value.field == "period"


def test_fee_is_rate_times_area_per_month():
    q4 = domain_fees.parse_period("2026-Q4")
    assert (q4.start, q4.end) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert domain_fees.fee_fen(800, 80.5, domain_fees.parse_period("2026-12"), None) == 64_400
    assert domain_fees.fee_fen(800, 80.5, q4, None) == 3 * 64_400


def test_fee_is_pro_rated_from_the_occupancy_date():
    december = domain_fees.parse_period("2026-12")
    # Occupied from the 17th: 15 of 31 days.
    assert domain_fees.fee_fen(3100, 10, december, dt.date(2026, 12, 17)) == 15_000
    assert domain_fees.fee_fen(3100, 10, december, dt.date(2027, 1, 1)) == 0
    assert domain_fees.fee_fen(3100, 10, december, dt.date(2020, 1, 1)) == 31_000
    # A quarter: November from the 16th (15/30) plus all of December.
    assert domain_fees.fee_fen(3000, 1, domain_fees.parse_period("2026-Q4"), dt.date(2026, 11, 16)) == 4500


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(0, 20_000), st.floats(1, 5000, allow_nan=False), st.dates(dt.date(2026, 9, 1), dt.date(2027, 1, 31)))
def test_a_later_occupancy_never_costs_more(rate, area, occupied):
    q4 = domain_fees.parse_period("2026-Q4")
    later = occupied + dt.timedelta(days=1)
    assert 0 <= domain_fees.fee_fen(rate, area, q4, later) <= domain_fees.fee_fen(rate, area, q4, occupied)


def test_occupancy_date_is_read_defensively():
    assert facts.occupancy_date("2026-12-17") == dt.date(2026, 12, 17)
    assert facts.occupancy_date(dt.datetime(2026, 12, 17, 8, tzinfo=dt.timezone.utc)) == dt.date(2026, 12, 17)
    assert facts.occupancy_date(None) is None and facts.occupancy_date("soon") is None


def test_a_reading_deducts_consumption_at_the_tariff():
    assert domain_prepaid.deduction_fen(None, 1_000_000, 60) == 0  # the baseline
    assert domain_prepaid.deduction_fen(domain_prepaid.to_milli(100), domain_prepaid.to_milli(112.5), 60) == 750


def test_a_reading_below_the_previous_is_refused_naming_reading():
    with pytest.raises(domain.Refused) as refused:
        domain_prepaid.deduction_fen(domain_prepaid.to_milli(100), domain_prepaid.to_milli(99), 60)
    assert refused.value.field == "reading" and "99" in refused.value.detail


def test_the_low_balance_warning_fires_on_crossing_only():
    assert domain_prepaid.crossed_low(2500, 1800, 2000)
    assert not domain_prepaid.crossed_low(1800, 1500, 2000)
    assert not domain_prepaid.crossed_low(3000, 2000, 2000)
