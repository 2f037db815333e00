"""The service catalogue as finance and the manager meet it (HTTP and the bus, real
nats-server, SQLite and PostgreSQL): a closed job's catalogue service is charged once at the
plaza's price, however often the close arrives; an ad hoc charge above the plaza's threshold
waits for a second person; the month's revenue by item is in the monthly report and its Excel."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from libs.contracts.events import ChargeLine, ChargePosted
from tests.integration.billing.test_billing_fees_dunning import ACCOUNT, P, billing  # noqa: F401
from tests.integration.billing.test_billing_ledger import billing_events, closed, consumer_settled, line
from tests.support.harness import as_actor, eventually

AC = {"name_zh": "空调清洗", "name_en": "Air-conditioner cleaning", "department": "engineering",
      "pricing": "per_unit", "price_fen": 12000, "unit_name": "台", "tax_treatment": "included",
      "tax_rate_bp": 600, "active_from": "2026-01-01"}


def catalogue_line(line_id: str, code: str, quantity: int, quoted_fen: int = 0) -> ChargeLine:
    return ChargeLine(line_id=line_id, kind="labour", description=f"catalogue {code}", quantity=quantity,
                      unit_price_fen=0, amount_fen=quoted_fen, catalogue_item=code)


def this_month() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


async def _charges(client) -> list[dict] | None:
    r = await client.get(ACCOUNT)
    charges = [e for e in r.json()["entries"] if e["kind"] == "charge"] if r.status_code == 200 else []
    return charges or None


async def test_a_catalogue_service_on_a_closed_job_is_charged_once_at_its_price(billing, bus):
    r = await billing.put(f"{P}/catalogue/AC-CLEAN", json=AC)
    assert r.status_code == 200, r.text
    assert [i["code"] for i in (await billing.get(f"{P}/catalogue", params={"on": "2026-06-01"})).json()["items"]] == ["AC-CLEAN"]
    assert (await billing.get(f"{P}/catalogue", params={"on": "2025-12-31"})).json()["items"] == []

    job = closed([line("wo-1:1", 3000, "filter"), catalogue_line("wo-1:2", "AC-CLEAN", 2)])
    await bus.publish(job)
    await bus.publish(job)  # delivered twice
    await bus.publish(closed([line("wo-1:1", 3000, "filter"), catalogue_line("wo-1:2", "AC-CLEAN", 2)],
                             reopen_count=1))  # closed again after a second dispatch
    await eventually(lambda: _charges(billing), what="the charges")
    await consumer_settled(bus)
    charges = await _charges(billing)
    assert sorted(c["amount_fen"] for c in charges) == [3000, 24_000]  # 2 台 × 120 yuan, once
    async def announced():  # both lines' ChargePosted relayed (billing's outbox)
        found = [e for e in await billing_events(bus, ChargePosted) if e.work_order_id == "wo-1"]
        return found if len(found) >= 2 else None

    posted = [e for e in await eventually(announced, what="ChargePosted of both lines") if e.line_id == "wo-1:2"]
    assert len(posted) == 1 and posted[0].amount_fen == 24_000 and "空调清洗" in posted[0].description

    report = (await billing.get(f"{P}/reports/monthly", params={"month": this_month()})).json()
    [ac] = report["services"]
    assert (ac["item"], ac["count"], ac["quantity"], ac["amount_fen"], ac["tax_fen"]) == ("AC-CLEAN", 1, 2, 24_000, 1358)
    book = load_workbook(io.BytesIO((await billing.get(
        f"{P}/reports/monthly", params={"month": this_month(), "format": "xlsx"})).content))
    rows = list(book["多种经营"].iter_rows(values_only=True))
    assert rows[0][:3] == ("月份", "项目编码", "项目") and rows[1][1:6] == ("AC-CLEAN", "空调清洗", 1, 2, 240)
    assert book["多种经营"]["F2"].number_format == '"¥"#,##0.00' and len(book["多种经营"]._charts) == 1


async def test_a_quoted_item_is_charged_its_quote(billing, bus):
    quoted = {**AC, "pricing": "quoted", "unit_name": None}
    quoted.pop("price_fen")
    assert (await billing.put(f"{P}/catalogue/MOVE", json=quoted)).status_code == 200
    bad = await billing.put(f"{P}/catalogue/MOVE2", json={**quoted, "price_fen": 100})
    assert bad.status_code == 422 and bad.json()["field"] == "price_fen"
    await bus.publish(closed([catalogue_line("wo-2:1", "MOVE", 1, quoted_fen=50_000)], work_order_id="wo-2"))
    charges = await eventually(lambda: _charges(billing), what="the quoted charge")
    assert [c["amount_fen"] for c in charges] == [50_000]


async def test_an_ad_hoc_charge_above_the_threshold_waits_for_a_second_person(billing, bus):
    assert (await billing.put(f"{P}/catalogue-settings", json={"ad_hoc_approval_above_fen": 10_000})).status_code == 200
    small = await billing.post(f"{ACCOUNT}/ad-hoc-charges", headers={**as_actor("fin-li"), "Idempotency-Key": "ah-1"},
                               json={"item": "parcel-storage", "amount_fen": 2000, "reason": "parcel kept 10 days"})
    assert small.status_code == 201 and small.json()["status"] == "posted", small.text
    big = await billing.post(f"{ACCOUNT}/ad-hoc-charges", headers={**as_actor("fin-li"), "Idempotency-Key": "ah-2"},
                             json={"item": "AC-CLEAN", "amount_fen": 36_000, "quantity": 3, "reason": "three units"})
    assert big.status_code == 201 and big.json()["status"] == "pending", big.text
    assert [c["amount_fen"] for c in await _charges(billing)] == [2000]  # nothing of the big one yet
    pending = (await billing.get(f"{P}/ad-hoc-charges", params={"status": "pending"})).json()["items"]
    assert [p["id"] for p in pending] == [big.json()["id"]]

    own = await billing.post(f"{ACCOUNT}/ad-hoc-charges/{big.json()['id']}/approve", headers=as_actor("fin-li"))
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert [c["amount_fen"] for c in await _charges(billing)] == [2000]
    yes = await billing.post(f"{ACCOUNT}/ad-hoc-charges/{big.json()['id']}/approve", headers=as_actor("fin-zhou"))
    assert yes.status_code == 200 and yes.json()["status"] == "approved" and yes.json()["decided_by"] == "fin-zhou"
    assert sorted(c["amount_fen"] for c in await _charges(billing)) == [2000, 36_000]
    again = await billing.post(f"{ACCOUNT}/ad-hoc-charges/{big.json()['id']}/approve", headers=as_actor("fin-wu"))
    assert again.status_code == 409

    revenue = (await billing.get(f"{P}/reports/monthly", params={"month": this_month()})).json()["services"]
    assert {r["item"]: r["amount_fen"] for r in revenue} == {"AC-CLEAN": 36_000, "parcel-storage": 2000}


async def test_a_close_naming_an_item_the_price_list_lacks_is_dead_lettered_with_the_reason(billing, bus):
    await bus.publish(closed([line("wo-9:1", 3000), catalogue_line("wo-9:2", "NOPE", 1)], work_order_id="wo-9"))
    parked = await eventually(lambda: bus.messages("DEADLETTER", "plazadesk.deadletter.billing.>"), what="the dead letter")
    assert "'NOPE' is not in the plaza's price list" in parked[0].headers["PlazaDesk-Reason"]
    assert await _charges(billing) is None  # nothing of that close is posted until the catalogue is fixed
