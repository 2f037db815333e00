"""Public-share costs (公摊费用): a period's shared costs of the common areas, apportioned
to the units by a stated rule, to the fen. Pure functions; no I/O.

Rules: ``area`` (by each unit's area, the usual one) and ``equal`` (the same for every
unit). The shares are exact fractions first; each unit gets the whole fen below its share,
and the fen left over go one each to the units with the largest remainders, ties broken by
unit id (so the shares always add up to the total, and the same input gives the same table)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from services.billing.ledger.domain import Refused

RULES = ("area", "equal")
CATEGORY_MAX = 100


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise Refused(f"rule must be one of {', '.join(RULES)}", field="rule")
    return rule


def check_cost(amount_fen: int, documents: list[str]) -> None:
    if amount_fen <= 0:
        raise Refused("a shared cost must be above 0 fen", field="amount_fen")
    if not [d for d in documents if d.strip()]:
        raise Refused("a shared cost needs its evidence: the ids of its documents (bills, receipts) in archive",
                      field="documents")


def weights(units: list[tuple[str, float]], rule: str) -> dict[str, Fraction]:
    """Each unit's weight under the rule (an area as the exact decimal it was given)."""
    if rule == "equal":
        return {unit: Fraction(1) for unit, _ in units}
    return {unit: Fraction(Decimal(str(area))) for unit, area in units}


def apportion(total_fen: int, weights: dict[str, Fraction]) -> dict[str, int]:
    """The total in whole fen by weight, largest remainders first, ties by unit id."""
    whole = sum(weights.values())
    if total_fen < 0:
        raise Refused("the total to share must not be negative", field="amount_fen")
    if whole <= 0:
        raise Refused("no unit has a share under this rule (every area is 0)", field="rule")
    exact = {unit: total_fen * w / whole for unit, w in weights.items()}
    shares = {unit: int(x) for unit, x in exact.items()}  # floor: every x is >= 0
    left = total_fen - sum(shares.values())
    by_remainder = sorted(exact, key=lambda unit: (-(exact[unit] - shares[unit]), unit))
    for unit in by_remainder[:left]:
        shares[unit] += 1
    return shares
