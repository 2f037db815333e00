"""Prepaid water and electricity (水电费充值): readings deduct at the plaza's tariff."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.billing.ledger.domain import Refused

UTILITIES = ("electricity", "water")
MILLI = 1000


def to_milli(reading: float | int) -> int:
    """Meter readings are kept as whole thousandths so sums stay exact."""
    if isinstance(reading, bool) or not isinstance(reading, (int, float)) or reading < 0:
        raise Refused("reading must be a non-negative number", field="reading")
    return int((Decimal(str(reading)) * MILLI).quantize(Decimal(1), ROUND_HALF_UP))


def validate_utility(utility: str) -> None:
    if utility not in UTILITIES:
        raise Refused(f"utility must be one of {', '.join(UTILITIES)}", field="utility")


def deduction_fen(previous_milli: int | None, reading_milli: int, price_fen: int) -> int:
    """(reading − previous) × tariff; the first reading of a meter is its baseline."""
    if previous_milli is None:
        return 0
    if reading_milli < previous_milli:
        raise Refused(
            f"reading {reading_milli / MILLI:g} is lower than the previous reading {previous_milli / MILLI:g}",
            field="reading",
        )
    used = Decimal(reading_milli - previous_milli) * price_fen / MILLI
    return int(used.quantize(Decimal(1), ROUND_HALF_UP))


def crossed_low(before_fen: int, after_fen: int, threshold_fen: int) -> bool:
    """Warn once when the balance drops under the threshold, not at every reading below it."""
    return after_fen < threshold_fen <= before_fen
