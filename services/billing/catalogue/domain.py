"""The service catalogue's rules (no I/O): what an item costs, when it is sold, the tax a
price includes, and when an ad hoc charge needs a second person."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.runtime.errors import InvalidInput

Pricing = Literal["fixed", "per_unit", "quoted"]
TaxTreatment = Literal["included", "exempt"]


class Item(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    department: str
    pricing: Pricing
    price_fen: int | None = None
    unit_name: str | None = None
    tax_treatment: TaxTreatment = "included"
    tax_rate_bp: int = 0
    active_from: dt.date
    active_to: dt.date | None = None


class NotChargeable(InvalidInput):
    """A catalogue line billing cannot price: an unknown code, an item not sold that day, a
    quoted item without its quote. Permanent: the close is dead-lettered with this reason."""


def check(item: Item) -> None:
    if item.pricing == "quoted":
        if item.price_fen is not None:
            raise InvalidInput("a quoted item has no list price (price_fen): the job carries its quote", field="price_fen")
    elif item.price_fen is None or item.price_fen <= 0:
        raise InvalidInput(f"a {item.pricing} item needs a price_fen above 0", field="price_fen")
    if item.pricing == "per_unit" and not item.unit_name:
        raise InvalidInput("a per-unit item names its unit (unit_name: 小时, 平方米 …)", field="unit_name")
    if item.tax_treatment == "exempt" and item.tax_rate_bp:
        raise InvalidInput("an exempt item has no tax rate", field="tax_rate_bp")
    if not 0 <= item.tax_rate_bp <= 10_000:
        raise InvalidInput("tax_rate_bp is in basis points, 0 to 10000 (600 = 6 %)", field="tax_rate_bp")
    if item.active_to is not None and item.active_to < item.active_from:
        raise InvalidInput("active_to is before active_from", field="active_to")


def sold_on(item: Item, day: dt.date) -> bool:
    return item.active_from <= day and (item.active_to is None or day <= item.active_to)


def price(item: Item | None, code: str, quantity: int, quoted_fen: int, day: dt.date) -> int:
    """What the catalogue line costs on ``day``: the list price (× quantity per unit), or
    the job's quote for a quoted item."""
    if item is None:
        raise NotChargeable(f"catalogue item {code!r} is not in the plaza's price list", field="charge_lines.catalogue_item")
    if not sold_on(item, day):
        raise NotChargeable(f"catalogue item {code!r} is not sold on {day.isoformat()}", field="charge_lines.catalogue_item")
    if item.pricing == "quoted":
        if quoted_fen <= 0:
            raise NotChargeable(f"catalogue item {code!r} is priced on a quote and the job carries none",
                                field="charge_lines.amount_fen")
        return quoted_fen
    return item.price_fen * (quantity if item.pricing == "per_unit" else 1)


def tax_fen(amount_fen: int, treatment: str, rate_bp: int) -> int:
    """The tax a tax-inclusive amount holds: amount × rate / (1 + rate), to the fen."""
    if treatment != "included" or not rate_bp:
        return 0
    return (amount_fen * rate_bp * 2 + (10_000 + rate_bp)) // ((10_000 + rate_bp) * 2)


def needs_second_person(amount_fen: int, threshold_fen: int | None) -> bool:
    """Above the plaza's threshold an ad hoc charge waits for four eyes; a plaza that has
    set none has every ad hoc charge approved by a second person."""
    return threshold_fen is None or amount_fen > threshold_fen
