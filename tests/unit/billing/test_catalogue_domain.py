"""The service catalogue's rules: what an item costs on a day, the tax its price holds, and
when an ad hoc charge needs a second person."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.runtime.errors import InvalidInput
from services.billing.catalogue import domain

DAY = dt.date(2026, 6, 1)


def item(**kw) -> domain.Item:
    base = dict(code="AC", name_zh="空调清洗", name_en="AC cleaning", department="engineering", pricing="per_unit",
                price_fen=12_000, unit_name="台", tax_rate_bp=600, active_from=dt.date(2026, 1, 1))
    return domain.Item(**{**base, **kw})


def test_the_price_on_a_day():
    assert domain.price(item(), "AC", 2, 0, DAY) == 24_000
    assert domain.price(item(pricing="fixed"), "AC", 2, 0, DAY) == 12_000
    assert domain.price(item(pricing="quoted", price_fen=None), "AC", 1, 50_000, DAY) == 50_000


@pytest.mark.parametrize("found, quote, day", [
    (None, 0, DAY),  # not in the price list
    (item(active_to=dt.date(2026, 5, 31)), 0, DAY),  # no longer sold
    (item(pricing="quoted", price_fen=None), 0, DAY),  # quoted, no quote
])
def test_what_cannot_be_priced_is_refused(found, quote, day):
    with pytest.raises(domain.NotChargeable):
        domain.price(found, "AC", 1, quote, day)


def test_a_tax_inclusive_price_holds_its_tax():
    assert domain.tax_fen(10_600, "included", 600) == 600
    assert domain.tax_fen(10_600, "exempt", 0) == 0


@pytest.mark.parametrize("changes, field", [
    ({"pricing": "quoted"}, "price_fen"), ({"price_fen": None}, "price_fen"), ({"unit_name": None}, "unit_name"),
    ({"tax_treatment": "exempt"}, "tax_rate_bp"), ({"active_to": dt.date(2025, 1, 1)}, "active_to"),
])
def test_an_item_that_cannot_be_sold_is_refused(changes, field):
    with pytest.raises(InvalidInput) as refused:
        domain.check(item(**changes))
    assert refused.value.field == field


def test_four_eyes_above_the_threshold_and_everywhere_without_one():
    assert not domain.needs_second_person(10_000, 10_000)
    assert domain.needs_second_person(10_001, 10_000)
    assert domain.needs_second_person(1, None)
