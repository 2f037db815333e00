"""Billing rules: the derived balance, what a payment must be, charge lines as entries."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from libs.contracts.events import ChargeLine, WorkOrderClosed
from services.billing.ledger import domain


def line(line_id: str, amount_fen: int, description: str = "labour") -> ChargeLine:
    return ChargeLine(
        line_id=line_id, kind="labour", description=description, quantity=1,
        unit_price_fen=amount_fen, amount_fen=amount_fen,
    )


def charge(amount_fen: int) -> domain.Posting:
    return domain.Posting(kind="charge", amount_fen=amount_fen, description="c")


def test_owed_is_charges_minus_payments():
    entries = [charge(5000), charge(1200), domain.payment(3000, "wechat", None)]
    assert domain.owed_fen(entries) == 3200


def test_an_empty_ledger_owes_nothing():
    assert domain.owed_fen([]) == 0


def test_paying_more_than_owed_leaves_a_credit():
    assert domain.owed_fen([charge(100), domain.payment(250, "cash", None)]) == -150


def test_balance_property_over_random_ledgers():
    rng = random.Random(20240611)
    for _ in range(300):
        charges = [rng.randint(1, 10**7) for _ in range(rng.randint(0, 12))]
        payments = [rng.randint(1, 10**7) for _ in range(rng.randint(0, 12))]
        entries = [charge(a) for a in charges] + [domain.payment(a, "card", None) for a in payments]
        rng.shuffle(entries)
        # Order never matters, and the balance is exact integer fen.
        assert domain.owed_fen(entries) == sum(charges) - sum(payments)


@pytest.mark.parametrize("amount", [0, -1, -10_000])
def test_a_payment_must_be_positive(amount):
    with pytest.raises(domain.Refused) as refused:
        domain.validate_payment(amount, "cash")
    assert refused.value.field == "amount_fen"


@pytest.mark.parametrize("amount", [True, 1.5, "100", None])
def test_a_payment_must_be_whole_fen(amount):
    with pytest.raises(domain.Refused) as refused:
        domain.validate_payment(amount, "cash")
    assert refused.value.field == "amount_fen"


def test_an_absurdly_large_payment_is_refused():
    with pytest.raises(domain.Refused) as refused:
        domain.validate_payment(domain.MAX_PAYMENT_FEN + 1, "transfer")
    assert refused.value.field == "amount_fen"


@pytest.mark.parametrize("method", ["bitcoin", "", None, "CASH"])
def test_a_payment_method_must_be_one_the_desk_takes(method):
    with pytest.raises(domain.Refused) as refused:
        domain.validate_payment(100, method)
    assert refused.value.field == "method"


@pytest.mark.parametrize("method", domain.PAYMENT_METHODS)
def test_every_listed_method_is_accepted(method):
    posting = domain.payment(100, method, "ref-1")
    assert (posting.kind, posting.method, posting.reference, posting.amount_fen) == ("payment", method, "ref-1", 100)


def test_charge_lines_become_charges_carrying_their_line_ids():
    postings = domain.charges_for("wo-1", [line("l1", 5000, "labour 1h"), line("l2", 1200, "pipe")])
    assert [(p.kind, p.line_id, p.amount_fen, p.work_order_id, p.description) for p in postings] == [
        ("charge", "l1", 5000, "wo-1", "labour 1h"),
        ("charge", "l2", 1200, "wo-1", "pipe"),
    ]


def test_a_line_repeated_in_one_event_is_charged_once():
    postings = domain.charges_for("wo-1", [line("l1", 5000), line("l1", 5000)])
    assert [p.line_id for p in postings] == ["l1"]


def test_free_lines_post_nothing():
    assert domain.charges_for("wo-1", [line("l1", 0)]) == []


def test_a_negative_line_is_refused_naming_it():
    with pytest.raises(domain.Refused) as refused:
        domain.charges_for("wo-1", [line("l1", 100), line("l2", -5)])
    assert "l2" in refused.value.detail


def closing(work_order_id: str, lines: list, *, paid: bool = True, plaza_id: str = "p1", day: int = 1):
    return WorkOrderClosed(
        plaza_id=plaza_id, correlation_id="c", work_order_id=work_order_id, request_id="r", unit="A-1",
        department="engineering", paid=paid, charge_lines=lines,
        occurred_at=dt.datetime(2026, 3, day, 9, tzinfo=dt.timezone.utc),
    )


def test_in_a_run_of_closings_each_line_is_charged_by_the_first_closing_carrying_it():
    first = closing("wo-1", [line("l1", 5000), line("l2", 1200)], day=1)
    again = closing("wo-1", [line("l1", 5000), line("l2", 1200)], day=1)  # the same close, another event id
    reopened = closing("wo-1", [line("l1", 5000), line("l2", 1200), line("l3", 800)], day=4)
    charges = domain.charges_of_closings([first, again, reopened])
    assert [(c.id, p.line_id, p.amount_fen, p.due_date.isoformat()) for c, p in charges] == [
        (first.id, "l1", 5000, "2026-03-16"), (first.id, "l2", 1200, "2026-03-16"),
        (reopened.id, "l3", 800, "2026-03-19"),
    ]


def test_unpaid_closings_charge_nothing_and_are_never_refused():
    charges = domain.charges_of_closings([closing("wo-1", [line("l1", 5000), line("l2", -1)], paid=False)])
    assert charges == []


def test_a_negative_line_refuses_the_run_naming_it():
    with pytest.raises(domain.Refused) as refused:
        domain.charges_of_closings([closing("wo-1", [line("ok", 100)]), closing("wo-2", [line("bad", -100)])])
    assert "bad" in refused.value.detail and "wo-2" in refused.value.detail


def test_the_same_line_id_in_two_plazas_is_two_charges():
    charges = domain.charges_of_closings([closing("wo-1", [line("l1", 100)], plaza_id="p1"),
                                          closing("wo-1", [line("l1", 100)], plaza_id="p2")])
    assert [(c.plaza_id, p.line_id) for c, p in charges] == [("p1", "l1"), ("p2", "l1")]
