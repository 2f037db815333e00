"""The plaza's stock of materials (仓库物料): issuing to a job, stocktaking adjustments, and
when a level counts as low. Pure functions; no I/O.

An adjustment changes a level outside any work order, so it is a request until a second
person approves it (four eyes); issuing to a work order is not (the job is the record)."""

from __future__ import annotations


import msgspec

from libs.runtime import foureyes

AdjustmentStatus = foureyes.Status


class MaterialUse(msgspec.Struct, frozen=True, kw_only=True):
    """A material a job used, priced: from stock, or bought in."""

    name: str
    quantity: int
    unit_price_fen: int


class StockRefused(ValueError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


def issue(sku: str, on_hand: int, quantity: int, field: str) -> int:
    """What is left after issuing ``quantity``; refuses to go below zero."""
    if quantity > on_hand:
        raise StockRefused(field, f"not enough of sku {sku!r} in stock: {quantity} asked, {on_hand} on hand")
    return on_hand - quantity


def adjust(sku: str, on_hand: int, delta: int, reason: str) -> int:
    """A stocktaking correction; it must say why and cannot count below zero."""
    if not reason.strip():
        raise StockRefused("reason", "a stock adjustment needs a reason")
    if delta == 0:
        raise StockRefused("delta", "an adjustment of 0 changes nothing")
    if on_hand + delta < 0:
        raise StockRefused("delta", f"sku {sku!r} has {on_hand} on hand; {delta} would leave less than none")
    return on_hand + delta


def became_low(before: int, after: int, low_level: int) -> bool:
    """Low stock is announced when the level crosses the line, not at every issue below it."""
    return after <= low_level < before
