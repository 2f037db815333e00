"""The warehouse's rules (仓库管理; no I/O): the moving average cost a receipt makes, what a
stocktake's counted lines differ by, and what stock is worth."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class WarehouseRefused(ValueError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


def average_cost(on_hand: int, cost_fen: int | None, received: int, unit_cost_fen: int) -> int:
    """The moving average after a receipt (to the fen): what was on hand at its average
    (none yet: at this receipt's cost) and what came in at its own."""
    if on_hand <= 0 or cost_fen is None:
        return unit_cost_fen
    total = on_hand * cost_fen + received * unit_cost_fen
    count = on_hand + received
    return (total * 2 + count) // (count * 2)


def cost_of(item: dict) -> int:
    """An item's value per piece: its average cost, or its price before any receipt."""
    return item["unit_price_fen"] if item.get("average_cost_fen") is None else item["average_cost_fen"]


class SheetLine(msgspec.Struct, kw_only=True):
    sku: str
    name: str
    expected: int
    counted: int | None = None
    cost_fen: int = 0

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


def sheet(items: Iterable[dict]) -> list[SheetLine]:
    """A stocktake sheet: every item with the level expected on hand, to be counted."""
    return [SheetLine(sku=i["sku"], name=i["name"], expected=i["quantity"], cost_fen=cost_of(i)) for i in items]


def fill(lines: list[SheetLine], counts: dict[str, int]) -> list[SheetLine]:
    """The sheet with what was counted; a sku not on the sheet is refused."""
    known = {line.sku for line in lines}
    for i, sku in enumerate(counts):
        if sku not in known:
            raise WarehouseRefused(f"counts[{i}].sku", f"sku {sku!r} is not on this stocktake's sheet")
    return [msgspec.structs.replace(line, counted=counts[line.sku]) if line.sku in counts else line for line in lines]


def ready(lines: list[SheetLine]) -> None:
    missing = [line.sku for line in lines if line.counted is None]
    if missing:
        raise WarehouseRefused("counts", f"not counted yet: {', '.join(missing[:10])}")


def variances(lines: list[SheetLine]) -> list[SheetLine]:
    return [line for line in lines if line.variance]


def distinct_lines(lines: list[dict]) -> None:
    """A receipt or requisition names each sku once, and at least one."""
    seen = set()
    for i, line in enumerate(lines):
        if line["sku"] in seen:
            raise WarehouseRefused(f"lines[{i}].sku", f"sku {line['sku']!r} is listed twice")
        seen.add(line["sku"])
    if not lines:
        raise WarehouseRefused("lines", "at least one line is needed")
