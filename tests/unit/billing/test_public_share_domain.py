"""Apportioning a period's public-share costs to the fen: largest remainders, ties by unit id."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.ledger.domain import Refused
from services.billing.public_share import domain


def test_by_area_the_fen_left_over_go_to_the_largest_remainders_then_by_unit_id():
    # 100 fen over areas 1, 1, 1: 33.33 each → 33 each, one fen left, all remainders equal →
    # the first unit id takes it.
    shares = domain.apportion(100, domain.weights([("B-1", 1.0), ("A-1", 1.0), ("C-1", 1.0)], "area"))
    assert shares == {"A-1": 34, "B-1": 33, "C-1": 33}
    # 1000 fen over 50, 30, 20.5 m²: 497.51…, 298.50…, 203.98… → 497, 298, 203 = 998; the two
    # fen go to the largest remainders (.98 then .51).
    shares = domain.apportion(1000, domain.weights([("A-1", 50.0), ("A-2", 30.0), ("A-3", 20.5)], "area"))
    assert shares == {"A-1": 498, "A-2": 298, "A-3": 204}


def test_equal_shares_ignore_the_area():
    assert domain.apportion(10, domain.weights([("A", 10.0), ("B", 90.0), ("C", 0.0)], "equal")) == {"A": 4, "B": 3, "C": 3}


def test_no_area_to_share_by_is_refused():
    with pytest.raises(Refused) as refused:
        domain.apportion(10, domain.weights([("A", 0.0)], "area"))
    assert refused.value.field == "rule"


@pytest.mark.parametrize(("amount", "documents", "field"), [(0, ["d"], "amount_fen"), (10, [], "documents"),
                                                            (10, [" "], "documents")])
def test_a_cost_needs_an_amount_and_its_evidence(amount, documents, field):
    with pytest.raises(Refused) as refused:
        domain.check_cost(amount, documents)
    assert refused.value.field == field


@given(st.integers(0, 10**10), st.lists(st.tuples(st.text("ABC-0123456789", min_size=1, max_size=6),
                                                   st.floats(0.01, 10_000, allow_nan=False)), min_size=1, max_size=40,
                                        unique_by=lambda t: t[0]))
def test_the_shares_always_add_up_to_the_total_and_each_is_within_a_fen_of_exact(total, units):
    weights = domain.weights(units, "area")
    shares = domain.apportion(total, weights)
    assert sum(shares.values()) == total
    whole = sum(weights.values())
    assert all(abs(shares[u] - Fraction(total) * w / whole) < 1 for u, w in weights.items())
