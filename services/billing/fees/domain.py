"""Periodic property fees (物业费): periods, rates by unit use × area, pro-rating."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import msgspec

from services.billing.ledger.domain import Refused

USES = ("shop", "office", "residence")
DEFAULT_DUE_DAYS = 15
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class Period(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    months: tuple[tuple[int, int], ...]

    @property
    def start(self) -> dt.date:
        return dt.date(*self.months[0], 1)

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return _month_end(*self.months[-1])


class Rates(msgspec.Struct, frozen=True, kw_only=True):
    """Fen per m² per month, by unit use."""

    shop: int
    office: int
    residence: int
    due_days: int = DEFAULT_DUE_DAYS

    def for_use(self, use: str) -> int:
        return getattr(self, use)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """``2026-12`` is a month, ``2026-Q4`` a quarter."""
    if m := _MONTH.match(text or ""):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Period(key=text, months=((year, month),))
    if m := _QUARTER.match(text or ""):
        year, first = int(m[1]), 3 * int(m[2]) - 2
        return Period(key=text, months=tuple((year, first + i) for i in range(3)))
    raise Refused(f"period {text!r} must be a month like 2026-12 or a quarter like 2026-Q4", field="period")


def validate_rates(rates: Rates) -> None:
    for use in USES:
        value = rates.for_use(use)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Refused(f"{use} must be a non-negative whole number of fen per m² per month", field=use)
    if not 0 <= rates.due_days <= 365:
        raise Refused("due_days must be between 0 and 365", field="due_days")


def round_fen(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1), ROUND_HALF_UP))


def fee_fen(rate_fen: int, area_m2: float, period: Period, occupied_from: dt.date | None) -> int:
    """Rate × area per month, each month pro-rated by the days the unit was occupied."""
    area = Fraction(Decimal(str(area_m2)))
    start = max(occupied_from or period.start, period.start)
    total = Fraction(0)
    for year, month in period.months:
        first, after = dt.date(year, month, 1), _month_end(year, month)
        days = (after - max(first, start)).days
        if days > 0:
            total += rate_fen * area * Fraction(days, (after - first).days)
    return round_fen(total)


def due_date(period: Period, rates: Rates) -> dt.date:
    return period.start + dt.timedelta(days=rates.due_days)
