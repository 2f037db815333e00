"""Dispatch's stock of materials (issue, low stock, stocktaking) and the monthly complaint
report (JSON, Excel, chart) against a real nats-server and database."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from libs.contracts import new_event_id
from libs.contracts.events import DECODERS, RequestReceived, StockLow, VisitCompleted, WorkOrderResolved
from tests.support.harness import as_actor, client_for, eventually, service_settings
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from services.dispatch.sla import services as sla
from tests.support.archive_facts import register
from tests.support.staff_facts import assign

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
H = dt.timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sla, "now", clock)
    return clock


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas, clock):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p2")
        await register(bus, "p1", "A-203", known_by="dispatch")
        yield client


def request(text: str, kind: str = "service") -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(
        plaza_id="p1", correlation_id=request_id, actor="clerk-li", request_id=request_id,
        unit="A-203", channel="phone", kind=kind, text=text,
    )


async def opened(client, bus, text: str, kind: str = "service") -> dict:
    event = request(text, kind)
    await bus.publish(event)

    async def probe():
        items = (await client.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]
        return items[0] if items else None

    return await eventually(probe, what=f"a work order for {text!r}")


async def act(client, wo: dict, action: str, body: dict | None = None) -> dict:
    r = await client.post(f"/v1/plazas/p1/work-orders/{wo['id']}/{action}", json=body or {})
    assert r.status_code == 200, r.text
    return r.json()


async def dispatch_events(bus, cls) -> list:
    return [e for e in (DECODERS["dispatch"].decode(m.data) for m in await bus.messages("DISPATCH")) if isinstance(e, cls)]


# --- stock ------------------------------------------------------------------------------


async def test_materials_issued_from_stock_decrement_it_and_announce_low_stock(dispatch, bus):
    r = await dispatch.put("/v1/plazas/p1/stock/PIPE-20", json={"name": "PVC pipe 20 mm", "unit_price_fen": 1200, "quantity": 5, "low_level": 2})
    assert r.status_code == 200 and r.json()["quantity"] == 5 and r.json()["low"] is False

    wo = await opened(dispatch, bus, "the drain in the shop is blocked")
    await assign(dispatch, bus, wo, "zhang")
    await act(dispatch, wo, "start")
    too_many = await dispatch.post(
        f"/v1/plazas/p1/work-orders/{wo['id']}/resolve", json={"paid": True, "materials": [{"sku": "PIPE-20", "quantity": 6}]}
    )
    assert too_many.status_code == 409 and too_many.json()["field"] == "materials[0].sku" and "PIPE-20" in too_many.json()["detail"]
    unknown = await dispatch.post(
        f"/v1/plazas/p1/work-orders/{wo['id']}/resolve", json={"paid": True, "materials": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "materials[0].sku"
    assert (await dispatch.get("/v1/plazas/p1/stock/PIPE-20")).json()["quantity"] == 5  # nothing was taken
    assert (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()["status"] == "in_progress"

    resolved = await act(dispatch, wo, "resolve", {
        "paid": True, "labour_fen": 5000,
        "materials": [{"sku": "PIPE-20", "quantity": 3}, {"name": "sealant (bought in)", "quantity": 1, "unit_price_fen": 800}],
    })
    assert [(l["description"], l["amount_fen"]) for l in resolved["charge_lines"]] == [
        ("labour (人工)", 5000), ("PVC pipe 20 mm", 3600), ("sealant (bought in)", 800),
    ]
    item = (await dispatch.get("/v1/plazas/p1/stock/PIPE-20")).json()
    assert (item["quantity"], item["low"]) == (2, True)

    [low] = await eventually(lambda: dispatch_events(bus, StockLow), what="StockLow")
    assert (low.sku, low.quantity, low.low_level, low.work_order_id) == ("PIPE-20", 2, 2, wo["id"])
    assert len(await bus.messages("DISPATCH", "plazadesk.dispatch.p1.stock.low")) == 1
    [resolve_event] = await eventually(lambda: dispatch_events(bus, WorkOrderResolved), what="WorkOrderResolved")
    assert [(m.name, m.quantity, m.unit_price_fen) for m in resolve_event.materials] == [
        ("PVC pipe 20 mm", 3, 1200), ("sealant (bought in)", 1, 800),
    ]
    movements = (await dispatch.get("/v1/plazas/p1/stock/PIPE-20/movements")).json()["items"]
    assert [(m["kind"], m["delta"], m["quantity_after"], m["work_order_id"]) for m in movements] == [
        ("set", 5, 5, None), ("issue", -3, 2, wo["id"]),
    ]


async def test_stocktaking_adjustments_need_a_reason_and_are_audited(dispatch, bus):
    await dispatch.put("/v1/plazas/p1/stock/GLUE", json={"name": "tile glue", "unit_price_fen": 900, "quantity": 4, "low_level": 1})
    base = "/v1/plazas/p1/stock/GLUE/adjustments"

    async def approved(body: dict, asker: str, approver: str = "supervisor-wang") -> dict:
        asked = await dispatch.post(base, json=body, headers=as_actor(asker))
        assert asked.status_code == 201 and asked.json()["status"] == "pending"
        r = await dispatch.post(f"{base}/{asked.json()['id']}/approve", headers=as_actor(approver))
        assert r.status_code == 200 and r.json()["status"] == "approved"
        return r.json()

    assert (await approved({"delta": -2, "reason": "two tubes dried out"}, "keeper-liu"))["quantity"] == 2
    done = await approved({"delta": -1, "reason": "recount"}, "front-desk")
    assert done["quantity"] == 1 and (await dispatch.get("/v1/plazas/p1/stock/GLUE")).json()["low"] is True
    for body, status, field in [({"delta": 3, "reason": " "}, 422, "reason"), ({"delta": -5, "reason": "recount"}, 409, "delta")]:
        r = await dispatch.post(base, json=body)
        assert r.status_code == status and r.json()["field"] == field
    assert (await dispatch.post("/v1/plazas/p1/stock/NOPE/adjustments", json={"delta": 1, "reason": "x"})).status_code == 404

    audit = (await dispatch.get(base)).json()["items"]
    assert [(a["delta"], a["quantity_after"], a["reason"], a["actor"], a["approved_by"]) for a in audit] == [
        (-2, 2, "two tubes dried out", "keeper-liu", "supervisor-wang"), (-1, 1, "recount", "front-desk", "supervisor-wang"),
    ]
    [low] = await eventually(lambda: dispatch_events(bus, StockLow), what="StockLow after the recount")
    assert (low.sku, low.quantity, low.actor) == ("GLUE", 1, "supervisor-wang")
    assert [i["sku"] for i in (await dispatch.get("/v1/plazas/p1/stock")).json()["items"]] == ["GLUE"]
    assert (await dispatch.get("/v1/plazas/p2/stock/GLUE")).status_code == 404  # another plaza's stock


async def test_an_adjustment_changes_nothing_until_a_second_person_approves_it(dispatch):
    await dispatch.put("/v1/plazas/p1/stock/TAPE", json={"name": "duct tape", "unit_price_fen": 500, "quantity": 10})
    base = "/v1/plazas/p1/stock/TAPE/adjustments"
    asked = (await dispatch.post(base, json={"delta": -6, "reason": "missing at count"}, headers=as_actor("keeper-liu"))).json()
    assert (asked["status"], asked["requested_by"], asked["quantity"]) == ("pending", "keeper-liu", 10)
    pending = (await dispatch.get("/v1/plazas/p1/stock-adjustments", params={"status": "pending"})).json()["items"]
    assert [a["id"] for a in pending] == [asked["id"]]

    own = await dispatch.post(f"{base}/{asked['id']}/approve", headers=as_actor("keeper-liu"))  # four eyes
    assert own.status_code == 403 and own.json()["detail"].startswith("four eyes: ")
    assert own.headers["content-type"].startswith("application/problem+json")
    assert (await dispatch.get("/v1/plazas/p1/stock/TAPE")).json()["quantity"] == 10
    assert (await dispatch.get(base)).json()["items"] == []

    # A level set by hand would be an adjustment nobody approved: PUT keeps the level.
    put = await dispatch.put("/v1/plazas/p1/stock/TAPE", json={"name": "duct tape", "unit_price_fen": 500, "quantity": 4})
    assert put.status_code == 409 and put.json()["field"] == "quantity"
    renamed = await dispatch.put("/v1/plazas/p1/stock/TAPE", json={"name": "tape 48 mm", "unit_price_fen": 550, "quantity": 10})
    assert renamed.status_code == 200 and renamed.json()["name"] == "tape 48 mm"

    rejected = await dispatch.post(f"{base}/{asked['id']}/reject", headers=as_actor("supervisor-wang"))
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["decided_by"]) == (200, "rejected", "supervisor-wang")
    late = await dispatch.post(f"{base}/{asked['id']}/approve", headers=as_actor("supervisor-wang"))
    assert late.status_code == 409 and late.json()["field"] == "status"
    assert (await dispatch.post(f"{base}/nope/approve", headers=as_actor("supervisor-wang"))).status_code == 404
    assert (await dispatch.get("/v1/plazas/p1/stock/TAPE")).json()["quantity"] == 10


# --- the complaint report ------------------------------------------------------------------


async def test_the_monthly_complaint_report_matches_a_hand_calculation(dispatch, clock, bus):
    """Four March complaints (plaza time) and two that must not count:

    | complaint | opened | first response | closed | category / department |
    | c4 | 1 Mar 00:30 +08 (28 Feb UTC) | never | - | parking / security |
    | c1 | T0 | T0+30 min | T0+2 h, reopened T0+3 h, closed T0+5 h | staff_attitude / security |
    | c2 | T0+1 h | T0+2.5 h (90 min) | - | cleanliness / cleaning |
    | c3 | T0+2 h | never | - | staff_attitude / customer_service |

    At T0+30 h: medians 60 min (30, 90) and 300 min (c1 only); closed 1, reopened 1 → 1.0.
    Deadlines judged: c1 respond ✓, c1 resolve ✓ (closed T0+2 h), c1 reopen resolve ✓ (T0+5 h),
    c2 respond ✓, c3 respond ✗ (due T0+26 h), c4 respond ✗ (due 2 Mar 00:30 +08) → 4 of 6.
    """
    clock.at = dt.datetime(2026, 2, 28, 16, 30, tzinfo=UTC)
    c4 = await opened(dispatch, bus, "停车位被占，投诉", "complaint")
    clock.at = dt.datetime(2026, 2, 28, 15, 30, tzinfo=UTC)  # 23:30 on 28 Feb in Shanghai: February
    await opened(dispatch, bus, "保安态度差，投诉", "complaint")
    clock.at = T0
    c1 = await opened(dispatch, bus, "保安态度差，我要投诉", "complaint")
    await opened(dispatch, bus, "the light is broken")  # a service request: not a complaint
    clock.at = T0 + H / 2
    await assign(dispatch, bus, c1, "wu")
    clock.at = T0 + H
    c2 = await opened(dispatch, bus, "走廊垃圾没人清理，投诉", "complaint")
    await act(dispatch, c1, "start")
    await act(dispatch, c1, "resolve", {"paid": False})
    clock.at = T0 + 2 * H
    await act(dispatch, c1, "close")
    c3 = await opened(dispatch, bus, "the manager was rude to me", "complaint")
    clock.at = T0 + 2.5 * H
    await assign(dispatch, bus, c2, "chen")
    clock.at = T0 + 3 * H
    await bus.publish(VisitCompleted(
        plaza_id="p1", correlation_id=c1["request_id"], visit_id=new_event_id(), work_order_id=c1["id"],
        unit="A-203", department="security", rating="unsatisfied", comment="still rude",
    ))

    async def reopened():
        return (await dispatch.get(f"/v1/plazas/p1/work-orders/{c1['id']}")).json()["reopen_count"] == 1

    await eventually(reopened, what="the complaint to be reopened")
    clock.at = T0 + 5 * H
    for action in ("start", "resolve", "close"):
        await act(dispatch, c1, action, {"paid": False} if action == "resolve" else None)
    clock.at = T0 + 30 * H

    report = (await dispatch.get("/v1/plazas/p1/reports/complaints", params={"month": "2026-03"})).json()
    assert [c4["category"], c1["category"], c2["category"], c3["category"]] == ["parking", "staff_attitude", "cleanliness", "staff_attitude"]
    expected = {
        "month": "2026-03", "count": 4,
        "by_category": {"cleanliness": 1, "parking": 1, "staff_attitude": 2},
        "by_department": {"cleaning": 1, "customer_service": 1, "security": 2},
        "median_minutes_to_first_response": 60.0, "median_minutes_to_close": 300.0,
        "closed": 1, "reopened": 1, "reopen_rate": 1.0, "reopens_by_department": {"security": 1},
        "deadlines_judged": 6, "deadlines_met_on_time": 4, "sla_compliance": 0.6667,
    }
    assert {k: report[k] for k in expected} == expected  # the list, trend and channels: test_complaint_report*
    assert (await dispatch.get("/v1/plazas/p1/reports/complaints", params={"month": "2026-02"})).json()["count"] == 1

    xlsx = await dispatch.get("/v1/plazas/p1/reports/complaints", params={"month": "2026-03", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert (summary["投诉数"], summary["时限达成率"], summary["关闭中位时长（分钟）"]) == (4, 0.6667, 300)
    assert list(book["按部门"].iter_rows(values_only=True)) == [
        ("部门", "投诉数"), ("cleaning", 1), ("customer_service", 1), ("security", 2),
    ]
    chart = await dispatch.get("/v1/plazas/p1/reports/complaints.svg", params={"month": "2026-03"})
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in chart.content and "p1 2026-03: 4 complaints, SLA compliance 67%" in chart.text
    bad = await dispatch.get("/v1/plazas/p1/reports/complaints", params={"month": "2026-13"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"
