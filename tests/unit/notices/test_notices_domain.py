"""The rules of notices: audiences, days overdue by billing's rule, templates, four eyes,
read links, provider retries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from libs.runtime.foureyes import FourEyesRefused
from libs.runtime.errors import Conflict
from services.notices.audiences import domain as audiences
from services.notices.delivery import domain as delivery
from services.notices.notices import domain

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("unit", "floor", "expected"), [
    ("A-305", None, "3"), ("C-0802", None, "8"), ("B-1201", None, "12"), ("A-3", None, None), ("X", "B1", "B1"),
    ("A-305", "5", "5"),
])
def test_a_units_floor_is_archives_else_its_number(unit, floor, expected):
    assert audiences.floor_of(unit, floor) == expected


def facts(unit="A-301", floor="3", kind="merchant", key=False):
    return audiences.UnitFacts(unit=unit, building="A", floor=floor, occupant_kind=kind, key_account=key)


def test_every_filter_of_an_audience_must_hold():
    audience = audiences.Audience(floors=["3"], arrears_over_days=30)
    common = dict(renovating=False, work_order_units=set())
    assert audiences.passes(audience, facts(), overdue_days=31, **common)
    assert not audiences.passes(audience, facts(), overdue_days=30, **common)  # over 30 days: 31 and more
    assert not audiences.passes(audience, facts(), overdue_days=None, **common)
    assert not audiences.passes(audience, facts(floor="2"), overdue_days=90, **common)
    assert audiences.passes(audiences.Audience(), facts(floor=None), overdue_days=None, **common)  # the whole plaza
    assert audiences.passes(audiences.Audience(floors=["03"]), facts(), overdue_days=None, **common)


def due(entry, direction, amount, due_date=None, reverses=None, at=AT):
    return audiences.Due(entry_id=entry, direction=direction, amount_fen=amount, due_date=due_date, occurred_at=at,
                         reverses_entry_id=reverses)


def test_payments_go_to_the_oldest_debt_first_as_billing_allocates_them():
    old, new = dt.date(2026, 9, 15), dt.date(2026, 10, 15)
    entries = [due("i1", 1, 10000, new), due("i0", 1, 10000, old), due("p", -1, 10000)]
    assert audiences.oldest_unpaid_due(entries, SHANGHAI) == new
    assert audiences.oldest_unpaid_due([*entries, due("p2", -1, 10000)], SHANGHAI) is None
    # A correction reversing the payment leaves both debts unpaid.
    assert audiences.oldest_unpaid_due([*entries, due("c", 0, 10000, reverses="p")], SHANGHAI) == old
    # A refund is due the plaza's day it was paid (02:00 UTC is 10:00 in Shanghai, same day).
    assert audiences.oldest_unpaid_due([due("r", 1, 500)], SHANGHAI) == dt.date(2026, 11, 1)


def test_days_overdue_count_from_the_due_date():
    assert audiences.overdue_days(dt.date(2026, 10, 1), dt.date(2026, 11, 1)) == 31
    assert audiences.overdue_days(dt.date(2026, 11, 1), dt.date(2026, 11, 1)) is None
    assert audiences.overdue_days(None, dt.date(2026, 11, 1)) is None


def test_a_template_fills_each_units_facts_and_the_notices_values():
    unit = {"unit": "A-301", "occupant_name": "李明", "building": "A", "floor": "3"}
    text = domain.fill("{merchant}（{unit}，{floor} 楼）：请于 {due_date} 前缴纳 {amount_yuan} 元", unit,
                       {"due_date": "2026-12-31", "amount_yuan": "1,200.00"})
    assert text == "李明（A-301，3 楼）：请于 2026-12-31 前缴纳 1,200.00 元"


@pytest.mark.parametrize(("title", "body", "values", "units", "kind", "field"), [
    ("x", "{nonsense}", {}, [], "notice", "body"),
    ("x", "{unit", {}, [], "notice", "body"),
    ("{bad}", "y", {}, [], "notice", "title"),
    ("x", "{due_date}", {}, [], "notice", "values.due_date"),
    ("x", "y", {}, ["A-1", "A-2"], "letter", "audience.units"),
])
def test_a_bad_template_is_refused_naming_the_field(title, body, values, units, kind, field):
    with pytest.raises(domain.NoticeRefused) as refused:
        domain.check_template(kind, title, body, values, units)
    assert refused.value.field == field


def test_a_notice_is_approved_by_a_second_person_once():
    assert domain.decide("pending", "clerk-wang", "supervisor-li", approve=True) == "published"
    assert domain.decide("pending", "clerk-wang", "clerk-wang", approve=False) == "rejected"
    with pytest.raises(FourEyesRefused):
        domain.decide("pending", "clerk-wang", "clerk-wang", approve=True)
    with pytest.raises(Conflict):
        domain.decide("published", "clerk-wang", "supervisor-li", approve=True)


def test_a_read_link_is_signed_and_an_altered_one_refused():
    claims = delivery.ReadClaims("p1", "n1", "A-301")
    token = delivery.sign("s" * 32, claims)
    assert delivery.verify("s" * 32, token) == claims
    with pytest.raises(delivery.LinkRefused):
        delivery.verify("t" * 32, token)
    payload, signature = token.split(".")
    other = delivery.sign("s" * 32, delivery.ReadClaims("p1", "n1", "A-302")).split(".")[0]
    for forged in (f"{other}.{signature}", "nonsense", f"{payload}.", ""):
        with pytest.raises(delivery.LinkRefused):
            delivery.verify("s" * 32, forged)


def test_a_refused_message_waits_longer_each_time_then_fails():
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    waits = [delivery.next_attempt(n, now) for n in range(1, delivery.MAX_ATTEMPTS + 1)]
    assert [(w - now).seconds for w in waits[:-1]] == [30, 60, 120, 240]
    assert waits[-1] is None


def test_each_channel_has_its_providers_adapter():
    adapters = delivery.adapters_for("sms=record, wechat=record")
    assert set(adapters) == {"sms", "wechat"} and adapters["sms"].name == "record"
    with pytest.raises(ValueError, match="no provider adapter named 'acme'"):
        delivery.adapters_for("sms=acme")


def test_the_link_routes_are_rate_limited_per_address():
    limiter = delivery.RateLimiter(2)
    assert [limiter.take("1.2.3.4", 0.0) for _ in range(3)] == [0, 0, 30]
    assert limiter.take("5.6.7.8", 0.0) == 0
    assert limiter.take("1.2.3.4", 30.0) == 0
