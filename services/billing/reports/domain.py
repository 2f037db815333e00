"""The prepaid utilities' month, from ledger entries alone (no I/O): what was recharged, by
method and by the plaza's local day, what the meters took off, and where each unit's
balances stand at the month's end against the tariff's warning level."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

import msgspec

from services.billing.ledger import domain as ledger_domain


class Tally(msgspec.Struct, kw_only=True):
    amount_fen: int = 0
    count: int = 0


class MethodTally(Tally, kw_only=True):
    method: str


class DayTally(Tally, kw_only=True):
    day: dt.date


class UtilityTally(msgspec.Struct, kw_only=True):
    utility: str
    recharged_fen: int = 0
    recharges: int = 0
    deducted_fen: int = 0
    deductions: int = 0


class UnitBalance(msgspec.Struct, kw_only=True):
    unit: str
    utility: str
    balance_fen: int
    low_balance_fen: int | None  # the tariff's warning level; None where no tariff is set
    below_warning: bool


class PrepaidSummary(msgspec.Struct, kw_only=True):
    plaza_id: str
    month: str
    recharged_fen: int
    recharges: int
    deducted_fen: int
    deductions: int
    by_method: list[MethodTally]
    by_day: list[DayTally]
    by_utility: list[UtilityTally]
    balances: list[UnitBalance]  # at the month's end, every unit and utility with prepaid entries
    below_warning: list[UnitBalance]
    currency: str = ledger_domain.CURRENCY


def prepaid_summary(plaza_id: str, month: str, entries: Iterable, warning: Mapping[str, int],
                    start: dt.datetime, end: dt.datetime, zone: dt.tzinfo) -> PrepaidSummary:
    """``entries``: the plaza's ledger (any order); ``warning``: low_balance_fen per utility."""
    methods: dict[str, MethodTally] = {}
    days: dict[dt.date, DayTally] = {}
    utilities: dict[str, UtilityTally] = {}
    balance: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        if e.kind not in ("prepaid_recharge", "prepaid_deduction") or e.occurred_at >= end:
            continue
        sign = 1 if e.kind == "prepaid_recharge" else -1
        balance[(e.unit, e.utility)] += sign * e.amount_fen
        if e.occurred_at < start:
            continue
        u = utilities.setdefault(e.utility, UtilityTally(utility=e.utility))
        if sign > 0:
            m = methods.setdefault(e.method or "", MethodTally(method=e.method or ""))
            d = ledger_domain.local_date(e.occurred_at, zone)
            t = days.setdefault(d, DayTally(day=d))
            for tally in (m, t):
                tally.amount_fen += e.amount_fen
                tally.count += 1
            u.recharged_fen += e.amount_fen
            u.recharges += 1
        else:
            u.deducted_fen += e.amount_fen
            u.deductions += 1
    balances = [
        UnitBalance(unit=unit, utility=utility, balance_fen=fen, low_balance_fen=warning.get(utility),
                    below_warning=utility in warning and fen < warning[utility])
        for (unit, utility), fen in sorted(balance.items())
    ]
    by_utility = sorted(utilities.values(), key=lambda u: u.utility)
    return PrepaidSummary(
        plaza_id=plaza_id, month=month,
        recharged_fen=sum(u.recharged_fen for u in by_utility), recharges=sum(u.recharges for u in by_utility),
        deducted_fen=sum(u.deducted_fen for u in by_utility), deductions=sum(u.deductions for u in by_utility),
        by_method=sorted(methods.values(), key=lambda m: m.method), by_day=sorted(days.values(), key=lambda d: d.day),
        by_utility=by_utility, balances=balances, below_warning=[b for b in balances if b.below_warning],
    )
