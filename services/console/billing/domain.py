"""收费 at the desk: amounts as the cashier types them, the words of the ledger, the
ageing table and which actions a role is offered. Pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation

from services.console.i18n.domain import DEFAULT_TZ, N_

# How the cashier records it; the billing service's values, the department's words.
METHODS: tuple[tuple[str, str], ...] = (
    ("cash", N_("Cash")), ("card", N_("Card")), ("transfer", N_("Bank transfer")),
    ("wechat", N_("WeChat Pay")), ("alipay", N_("Alipay")),
)
METHOD_NAMES = dict(METHODS)

ENTRY_KINDS = {
    "charge": N_("Charge"), "fee": N_("Management fee"), "payment": N_("Payment"), "refund": N_("Refund"),
    "correction_credit": N_("Correction (credit)"), "correction_debit": N_("Correction (debit)"),
    "deposit_held": N_("Deposit held"), "deposit_refund": N_("Deposit refunded"),
    "deposit_applied": N_("Deposit applied"), "prepaid_recharge": N_("Recharge"),
    "prepaid_deduction": N_("Meter deduction"),
}
# The sign an entry moves what is owed by (billing's ledger rules): a payment lowers it.
OWED_DIRECTION = {"charge": 1, "fee": 1, "refund": 1, "correction_debit": 1, "payment": -1,
                  "correction_credit": -1, "deposit_applied": -1}
UTILITIES = {"electricity": N_("Electricity"), "water": N_("Water")}

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("reached", N_("Reached")), ("promised_to_pay", N_("Promised to pay")), ("disputed", N_("Disputed")),
    ("no_answer", N_("No answer")), ("wrong_number", N_("Wrong number")),
)
OUTCOME_NAMES = dict(OUTCOMES)
TASK_STATUSES = {"open": N_("To call"), "done": N_("Done")}

# Who the billing service lets do what (docs/access.md): the page offers no button that
# would only be refused.
PAYMENT_ROLES = frozenset({"manager", "finance", "operator"})
OUTCOME_ROLES = frozenset({"clerk", "supervisor", "manager", "finance", "operator"})

MAX_FEN = 10**11  # a billion yuan: beyond any payment at a desk, and a typo's sign
_AMOUNT = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")


class AmountRefused(ValueError):
    """What is wrong with a typed amount, in words for the person who typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fen_of(text: str | None) -> int:
    """Yuan as typed ("1,234.5", "¥12", "３００") to integer fen; never a float on the way."""
    raw = (text or "").strip()
    for mark in ("¥", "￥", "元", "RMB", "CNY", ",", "，", " "):
        raw = raw.replace(mark, "")
    raw = raw.translate({ord("．"): ".", **{0xFF10 + d: str(d) for d in range(10)}})
    if not raw:
        raise AmountRefused(N_("Enter the amount in yuan"))
    if raw.startswith("-"):
        raise AmountRefused(N_("The amount must be more than zero"))
    if not _AMOUNT.match(raw):
        raise AmountRefused(N_("Enter the amount as a number of yuan, e.g. 1,234.50"))
    try:
        yuan = Decimal(raw)
    except InvalidOperation:
        raise AmountRefused(N_("Enter the amount as a number of yuan, e.g. 1,234.50")) from None
    if yuan.as_tuple().exponent < -2:
        raise AmountRefused(N_("At most two decimals: yuan and fen"))
    fen = int(yuan * 100)
    if fen <= 0:
        raise AmountRefused(N_("The amount must be more than zero"))
    if fen > MAX_FEN:
        raise AmountRefused(N_("The amount is too large"))
    return fen


def new_key() -> str:
    """The Idempotency-Key a payment form carries from the moment it is shown: sending that
    form twice takes the money once."""
    return uuid.uuid4().hex


def can_take_payment(roles: set[str] | frozenset[str]) -> bool:
    return bool(roles & PAYMENT_ROLES)


def can_record_outcome(roles: set[str] | frozenset[str]) -> bool:
    return bool(roles & OUTCOME_ROLES)


def entry_rows(entries: list[dict]) -> list[dict]:
    """The ledger newest first, each entry signed as it moves what is owed (a payment
    lowers it) and named in the department's words."""
    rows = []
    for e in sorted(entries, key=lambda e: (e.get("occurred_at") or "", e.get("id") or ""), reverse=True):
        rows.append({**e, "kind_label": ENTRY_KINDS.get(e.get("kind", ""), e.get("kind", "")),
                     "signed_fen": OWED_DIRECTION.get(e.get("kind", ""), 0) * int(e.get("amount_fen") or 0),
                     "method_label": METHOD_NAMES.get(e.get("method") or "", e.get("method") or "")})
    return rows


def receipt_of(entries: list[dict], payment_id: str | None) -> dict | None:
    if not payment_id:
        return None
    return next((e for e in entries if e.get("id") == payment_id and e.get("kind") == "payment"), None)


def ageing_table(arrears: dict) -> dict:
    """The ageing as the billing service buckets it (its bucket names, its order): a header
    row, a row per unit, and the totals row."""
    totals = arrears.get("totals") or {}
    buckets = list(totals)
    for unit in arrears.get("units") or []:
        buckets += [b for b in unit.get("buckets") or {} if b not in buckets]
    rows = [{"unit": u.get("unit"), "owed_fen": u.get("owed_fen", 0), "overdue_fen": u.get("overdue_fen", 0),
             "cells": [(u.get("buckets") or {}).get(b, 0) for b in buckets],
             "oldest_due_date": u.get("oldest_due_date"), "held": bool(u.get("dunning_held"))}
            for u in sorted(arrears.get("units") or [], key=lambda u: -u.get("overdue_fen", 0))]
    return {"as_of": arrears.get("as_of"), "buckets": buckets, "rows": rows,
            "totals": [totals.get(b, 0) for b in buckets], "overdue_fen": sum(totals.get(b, 0) for b in buckets)}


def task_rows(tasks: list[dict]) -> list[dict]:
    """Open calls first, the longest overdue at the top."""
    return sorted(tasks, key=lambda t: (t.get("status") != "open", -int(t.get("days_past_due") or 0)))


def month_or_this(value: str, today: dt.date | None = None) -> str:
    """A month as YYYY-MM, else this month in the plazas' default time zone."""
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value or ""):
        return value
    if today is None:
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo(DEFAULT_TZ)).date()
    return f"{today.year:04d}-{today.month:02d}"
