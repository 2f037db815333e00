"""The warehouse as the storekeeper, the supervisor and the manager meet it (HTTP, real
nats-server, SQLite and PostgreSQL): goods received at a cost move the average cost and the
stock's value; a requisition leaves the stock only once the supervisor (not the asker)
approves; a stocktake's counted shortfall moves the stock only after a second person
approves, and its variance is in the stocktake's and the movements' Excel files."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.integration.dispatch.test_dispatch_stock_reports import clock, dispatch  # noqa: F401
from tests.support.harness import as_actor

P = "/v1/plazas/p1"
KEEPER, SUPERVISOR = as_actor("keeper-li"), as_actor("sup-zhao")


async def _stock(dispatch) -> None:
    for sku, name, price, qty in (("PPR-20", "PPR 水管 20mm", 1500, 10), ("TAPE", "生料带", 300, 30)):
        r = await dispatch.put(f"{P}/stock/{sku}", json={"name": name, "unit_price_fen": price, "quantity": qty, "low_level": 2})
        assert r.status_code == 200, r.text


async def level(dispatch, sku: str) -> int:
    return (await dispatch.get(f"{P}/stock/{sku}")).json()["quantity"]


async def test_goods_received_move_the_level_the_average_cost_and_the_value(dispatch, bus):
    await _stock(dispatch)
    receipt = {"supplier": "东方五金", "document_id": "DN-1", "lines": [{"sku": "PPR-20", "quantity": 10, "unit_cost_fen": 1000}]}
    r = await dispatch.post(f"{P}/goods-receipts", json=receipt, headers=KEEPER)
    assert r.status_code == 201 and r.json()["total_fen"] == 10_000, r.text
    again = await dispatch.post(f"{P}/goods-receipts", json=receipt, headers=KEEPER)
    assert again.status_code == 409 and again.json()["field"] == "document_id"
    r = await dispatch.post(f"{P}/goods-receipts", headers=KEEPER, json={
        "supplier": "东方五金", "document_id": "DN-2", "lines": [{"sku": "PPR-20", "quantity": 20, "unit_cost_fen": 1300}]})
    assert r.status_code == 201
    assert await level(dispatch, "PPR-20") == 40

    value = (await dispatch.get(f"{P}/stock-value")).json()
    ppr = next(i for i in value["items"] if i["sku"] == "PPR-20")
    # (10 at 1000 received first, the 10 set by hand taken at that cost) then 20 at 1300: (20×1000 + 20×1300) / 40
    assert (ppr["average_cost_fen"], ppr["value_fen"]) == (1150, 46_000)
    assert value["total_fen"] == 46_000 + 30 * 300
    book = load_workbook(io.BytesIO((await dispatch.get(f"{P}/stock-value", params={"format": "xlsx"})).content))
    sheet = book["库存金额"]
    assert [c.value for c in sheet[1]] == ["物料编码", "名称", "结存数量", "平均成本", "库存金额"]
    assert sheet["D2"].number_format == '"¥"#,##0.00' and len(sheet._charts) == 1


async def test_a_requisition_leaves_the_stock_once_the_supervisor_approves(dispatch, bus):
    await _stock(dispatch)
    nobody = await dispatch.post(f"{P}/requisitions", headers=KEEPER, json={"lines": [{"sku": "TAPE", "quantity": 1}], "reason": "x"})
    assert nobody.status_code == 422 and nobody.json()["field"] == "department"
    asked = await dispatch.post(f"{P}/requisitions", headers=as_actor("eng-wang"), json={
        "department": "engineering", "person": "eng-wang", "lines": [{"sku": "TAPE", "quantity": 5}], "reason": "B2 leak"})
    assert asked.status_code == 201 and asked.json()["status"] == "pending", asked.text
    assert await level(dispatch, "TAPE") == 30
    own = await dispatch.post(f"{P}/requisitions/{asked.json()['id']}/approve", headers=as_actor("eng-wang"))
    assert own.status_code == 403
    yes = await dispatch.post(f"{P}/requisitions/{asked.json()['id']}/approve", headers=SUPERVISOR)
    assert yes.status_code == 200 and yes.json()["status"] == "approved", yes.text
    assert await level(dispatch, "TAPE") == 25
    [moved] = [m for m in (await dispatch.get(f"{P}/stock/TAPE/movements")).json()["items"] if m["kind"] == "requisition"]
    assert (moved["delta"], moved["actor"], moved["approved_by"]) == (-5, "eng-wang", "sup-zhao")


async def test_a_counted_shortfall_moves_stock_only_after_approval_and_is_in_the_report(dispatch, bus):
    await _stock(dispatch)
    opened = await dispatch.post(f"{P}/stocktakes", json={"day": "2026-03-31"}, headers=KEEPER)
    assert opened.status_code == 201, opened.text
    take = opened.json()
    assert {(x["sku"], x["expected"]) for x in take["lines"]} == {("PPR-20", 10), ("TAPE", 30)}
    path = f"{P}/stocktakes/{take['id']}"
    early = await dispatch.post(f"{path}/submit", headers=KEEPER)
    assert early.status_code == 422 and early.json()["field"] == "counts"
    counted = await dispatch.put(f"{path}/counts", json={"counts": [{"sku": "PPR-20", "counted": 7}, {"sku": "TAPE", "counted": 30}]})
    assert counted.status_code == 200 and counted.json()["variance_fen"] == -3 * 1500
    assert (await dispatch.post(f"{path}/submit", headers=KEEPER)).json()["status"] == "submitted"

    assert await level(dispatch, "PPR-20") == 10  # counted, not yet approved: nothing moved
    own = await dispatch.post(f"{path}/approve", headers=KEEPER)
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert await level(dispatch, "PPR-20") == 10
    yes = await dispatch.post(f"{path}/approve", headers=SUPERVISOR)
    assert yes.status_code == 200 and yes.json()["status"] == "approved", yes.text
    assert (await level(dispatch, "PPR-20"), await level(dispatch, "TAPE")) == (7, 30)
    assert (await dispatch.post(f"{path}/approve", headers=as_actor("mgr-chen"))).status_code == 409

    book = load_workbook(io.BytesIO((await dispatch.get(path, params={"format": "xlsx"})).content))
    rows = {r[0]: r for r in book["盘点表"].iter_rows(min_row=2, values_only=True)}
    assert rows["PPR-20"][2:5] == (10, 7, -3) and rows["PPR-20"][6] == -45
    assert book["盘点表"].freeze_panes == "A2" and book["盘点表"]["G2"].number_format == '"¥"#,##0.00'
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["盘亏种数"] == 1 and summary["差异金额合计"] == -45 and summary["审批人"] == "sup-zhao"

    moves = load_workbook(io.BytesIO((await dispatch.get(f"{P}/stock-movements", params={"format": "xlsx", "lang": "en"})).content))
    lines = list(moves["movements"].iter_rows(values_only=True))
    assert lines[0][:4] == ("when (UTC)", "sku", "kind", "change")
    [short] = [x for x in lines[1:] if x[2] == "stocktake"]
    assert (short[1], short[3], short[4], short[8]) == ("PPR-20", -3, 7, "sup-zhao")
    bad = await dispatch.get(f"{P}/stock-movements", params={"format": "csv"})
    assert bad.status_code == 400 and bad.json()["field"] == "format"
