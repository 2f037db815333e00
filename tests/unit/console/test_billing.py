"""收费's rules: the amount as a cashier types it, the ageing table, the worklist order and
who is offered which action."""

from __future__ import annotations

import pytest

from services.console.billing import domain


@pytest.mark.parametrize("typed, fen", [
    ("1,234.5", 123450), ("¥12", 1200), ("￥12.05", 1205), ("300", 30000), ("0.01", 1), (" 1 234.50 元", 123450),
    ("３００", 30000), (".5", 50), ("12.", 1200),
])
def test_yuan_as_typed_become_integer_fen(typed, fen):
    assert domain.fen_of(typed) == fen


@pytest.mark.parametrize("typed, says", [
    ("-5", "The amount must be more than zero"),
    ("0", "The amount must be more than zero"),
    ("1.234", "At most two decimals: yuan and fen"),
    ("", "Enter the amount in yuan"),
    ("12abc", "Enter the amount as a number of yuan, e.g. 1,234.50"),
    ("1e3", "Enter the amount as a number of yuan, e.g. 1,234.50"),
    ("NaN", "Enter the amount as a number of yuan, e.g. 1,234.50"),
    ("99999999999999", "The amount is too large"),
])
def test_an_amount_that_is_not_money_is_refused_with_a_reason(typed, says):
    with pytest.raises(domain.AmountRefused) as refused:
        domain.fen_of(typed)
    assert refused.value.message == says


def test_a_form_carries_a_new_key_each_time_it_is_shown():
    assert domain.new_key() != domain.new_key()


def test_only_roles_billing_lets_take_money_are_offered_the_payment_form():
    assert domain.can_take_payment({"finance"}) and domain.can_take_payment({"manager"})
    assert not domain.can_take_payment({"clerk"}) and not domain.can_take_payment({"auditor"})
    assert domain.can_record_outcome({"clerk"}) and not domain.can_record_outcome({"auditor"})


def test_the_ageing_table_keeps_the_services_buckets_and_puts_the_most_overdue_first():
    arrears = {"as_of": "2026-12-05", "totals": {"1-29": 100, "30-59": 0, "180+": 5000},
               "units": [{"unit": "A-101", "owed_fen": 100, "overdue_fen": 100, "buckets": {"1-29": 100, "30-59": 0, "180+": 0},
                          "oldest_due_date": "2026-11-20", "dunning_held": False},
                         {"unit": "C-0802", "owed_fen": 6000, "overdue_fen": 5000, "buckets": {"1-29": 0, "30-59": 0, "180+": 5000},
                          "oldest_due_date": "2025-01-16", "dunning_held": True}]}
    table = domain.ageing_table(arrears)
    assert table["buckets"] == ["1-29", "30-59", "180+"]
    assert [r["unit"] for r in table["rows"]] == ["C-0802", "A-101"]
    assert table["rows"][0]["cells"] == [0, 0, 5000] and table["rows"][0]["held"]
    assert table["totals"] == [100, 0, 5000] and table["overdue_fen"] == 5100


def test_a_bucket_only_a_unit_names_still_gets_its_column():
    table = domain.ageing_table({"totals": {}, "units": [{"unit": "A", "overdue_fen": 1, "buckets": {"0-30": 1}}]})
    assert table["buckets"] == ["0-30"] and table["rows"][0]["cells"] == [1]


def test_the_ledger_reads_newest_first_with_payments_lowering_what_is_owed():
    rows = domain.entry_rows([
        {"id": "1", "kind": "charge", "amount_fen": 7400, "occurred_at": "2026-12-01T01:00:00Z", "work_order_id": "wo"},
        {"id": "2", "kind": "payment", "amount_fen": 7400, "occurred_at": "2026-12-02T01:00:00Z", "method": "wechat"},
    ])
    assert [r["id"] for r in rows] == ["2", "1"]
    assert rows[0]["signed_fen"] == -7400 and rows[0]["method_label"] == "WeChat Pay"
    assert rows[1]["signed_fen"] == 7400 and rows[1]["kind_label"] == "Charge"
    assert domain.receipt_of(rows, "2")["amount_fen"] == 7400
    assert domain.receipt_of(rows, "1") is None, "only a payment is a receipt"


def test_the_worklist_puts_open_calls_first_longest_overdue_on_top():
    tasks = [{"id": "a", "status": "done", "days_past_due": 400}, {"id": "b", "status": "open", "days_past_due": 40},
             {"id": "c", "status": "open", "days_past_due": 200}]
    assert [t["id"] for t in domain.task_rows(tasks)] == ["c", "b", "a"]


def test_the_worklist_names_who_to_call_once_per_unit_and_survives_a_refusal():
    import asyncio

    from services.console.billing import services as billing
    from services.console.gateway.domain import UpstreamError

    class Calls:
        def __init__(self):
            self.asked = []

        async def get_or_none(self, service, path, **params):
            self.asked.append(path)
            if path.endswith("B-1201"):
                raise UpstreamError("archive", 403, {"detail": "no"})
            return {"unit": path.rsplit("/", 1)[1], "occupant": {"name": "王芳", "phone": "13900000802"}}

    calls = Calls()
    found = asyncio.run(billing.contacts(calls, "demo", ["C-0802", "C-0802", "B-1201"]))
    assert found == {"C-0802": {"name": "王芳", "phone": "13900000802"}, "B-1201": {}}
    assert len(calls.asked) == 2


def test_a_statement_is_for_the_month_asked_else_this_one():
    import datetime as dt

    today = dt.date(2026, 12, 5)
    assert domain.month_or_this("2026-11", today) == "2026-11"
    assert domain.month_or_this("2026-13", today) == "2026-12" and domain.month_or_this("", today) == "2026-12"
