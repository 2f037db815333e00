"""The warehouse's rules: the moving average cost, the stocktake sheet and its variance."""

from __future__ import annotations

import pytest

from services.dispatch.warehouse import domain


def test_a_receipt_moves_the_average_cost():
    assert domain.average_cost(0, None, 10, 1000) == 1000
    assert domain.average_cost(10, None, 10, 1300) == 1300  # no cost known yet: this receipt's
    assert domain.average_cost(20, 1000, 20, 1300) == 1150
    assert domain.average_cost(3, 1000, 1, 1001) == 1000  # rounded to the fen


def test_an_item_is_valued_at_its_average_cost_or_its_price_before_any_receipt():
    assert domain.cost_of({"unit_price_fen": 1500, "average_cost_fen": None}) == 1500
    assert domain.cost_of({"unit_price_fen": 1500, "average_cost_fen": 1150}) == 1150


def test_a_sheet_counted_gives_each_lines_variance():
    sheet = domain.sheet([{"sku": "A", "name": "a", "quantity": 10, "unit_price_fen": 100},
                          {"sku": "B", "name": "b", "quantity": 5, "unit_price_fen": 200}])
    with pytest.raises(domain.WarehouseRefused) as refused:
        domain.ready(sheet)
    assert refused.value.field == "counts"
    counted = domain.fill(sheet, {"A": 7, "B": 5})
    domain.ready(counted)
    assert [(line.sku, line.variance) for line in domain.variances(counted)] == [("A", -3)]
    with pytest.raises(domain.WarehouseRefused) as refused:
        domain.fill(sheet, {"C": 1})
    assert refused.value.field == "counts[0].sku"


def test_lines_name_each_sku_once():
    with pytest.raises(domain.WarehouseRefused) as refused:
        domain.distinct_lines([{"sku": "A"}, {"sku": "A"}])
    assert refused.value.field == "lines[1].sku"
    with pytest.raises(domain.WarehouseRefused):
        domain.distinct_lines([])
