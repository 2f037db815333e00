"""What archive keeps of the other services' events (permits, outstanding defects, the
timeline with its filters) and the replay that rebuilds all of it from the streams."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.contracts.events import (
    ChargePosted,
    Defect,
    HandoverInspected,
    RenovationApproved,
    RenovationClosed,
    RequestReceived,
    VisitScheduled,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from libs.runtime.db import Database
from tests.support.harness import client_for, eventually, service_settings
from services.archive import tables as store
from services.archive.projections import cli as replay
from services.archive.app import create_app
from services.archive.settings import Settings

UNIT = {"area_m2": 120.0, "use": "residence", "occupant": {"name": "王芳", "kind": "resident"}, "building": "C"}
T0 = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
async def archive(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        assert (await client.put("/v1/plazas/p1", json={"name": "Plaza One", "timezone": "Asia/Shanghai"})).status_code == 201
        assert (await client.put("/v1/plazas/p1/units/C-0802", json=UNIT)).status_code == 201
        yield client, settings


def at(minutes: int) -> dict:
    return dict(plaza_id="p1", unit="C-0802", correlation_id="case-1", occurred_at=T0 + dt.timedelta(minutes=minutes))


def warranty(defect: str, minutes: int, cls=WorkOrderCreated, **extra):
    common = dict(**at(minutes), work_order_id=f"wo-{defect}", request_id=defect, department="engineering")
    if cls is WorkOrderCreated:
        return cls(**common, kind="service", text="warranty repair", warranty=True, responsible_party="Huajian", **extra)
    return cls(**common, **extra)


def the_case():
    defects = [Defect(defect_id=f"d{n}", description=f"defect {n}", responsible_party="Huajian") for n in (1, 2, 3)]
    return [
        HandoverInspected(**at(0), inspection_id="insp-1", accepted=True, defects=defects),
        RenovationApproved(**at(5), permit_id="permit-1", deposit_fen=500000, valid_from=dt.date(2027, 1, 11),
                           valid_until=dt.date(2027, 2, 28)),
        RequestReceived(**at(6), request_id="req-1", channel="phone", kind="service", text="door bell broken"),
        warranty("d1", 1), warranty("d2", 2), warranty("d3", 3),
        warranty("d1", 20, WorkOrderClosed, paid=False),
        # Arrives before the closing it follows: the projection must not let the closing win.
        warranty("d2", 40, WorkOrderReopened, reason="still leaking", reopen_count=1),
        warranty("d2", 21, WorkOrderClosed, paid=False),
        VisitScheduled(**at(22), visit_id="v1", work_order_id="wo-d1", department="engineering", due_at=T0 + dt.timedelta(days=2)),
        ChargePosted(**at(50), entry_id="e1", work_order_id="wo-x", line_id="l1", description="labour", amount_fen=5000),
        RenovationClosed(**at(60), permit_id="permit-1", deduction_fen=20000, deduction_reason="scratched lift"),
    ]


async def lose_projections(settings: Settings) -> None:
    db = Database(settings.database_url, schema=settings.database_schema)
    async with db.write() as conn:
        for table in store.PROJECTIONS:
            await conn.execute(table.delete())
    await db.dispose()


async def timeline(client, **params) -> list[dict]:
    r = await client.get("/v1/plazas/p1/units/C-0802/timeline", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_defects_permits_and_the_timeline_survive_a_replay_rebuild_unchanged(archive, bus):
    client, settings = archive
    doc = await client.post("/v1/plazas/p1/units/C-0802/documents", params={"kind": "permit", "filename": "permit.pdf"},
                            content=b"%PDF-1.4 permit")
    assert doc.status_code == 201
    case = the_case()
    for event in case:
        await bus.publish(event)
    # About a unit archive never registered: the live consumer files it nowhere (it waits for
    # the unit, then dead-letters it), and neither does the replay.
    stray = RequestReceived(**{**at(7), "unit": "Z-404"}, request_id="req-z", channel="phone", kind="service",
                            text="a unit nobody registered")
    await bus.publish(stray)

    async def everything_filed():
        items = await timeline(client)
        return items if len(items) == len(case) + 2 else None

    live = await eventually(everything_filed, what="the whole case on C-0802's timeline")
    unit = (await client.get("/v1/plazas/p1/units/C-0802")).json()
    # d1's warranty order closed; d2's was closed and then reopened; d3's is still open.
    assert [(d["defect_id"], d["work_order_id"]) for d in unit["outstanding_defects"]] == [("d2", "wo-d2"), ("d3", "wo-d3")]
    assert unit["renovation_permits"] == [{"permit_id": "permit-1", "status": "closed", "valid_from": "2027-01-11",
                                           "valid_until": "2027-02-28", "deposit_fen": 500000, "deduction_fen": 20000}]

    assert [i["type"] for i in await timeline(client, kind="renovation")] == ["RenovationApproved", "RenovationClosed"]
    closed = await timeline(client, kind="work_order", type="WorkOrderClosed,RequestReceived")
    assert [i["event_id"] for i in closed] == [case[6].id, case[8].id]
    on_the_day = await timeline(client, date="2027-01-10")  # Shanghai's day, archive's own entries are earlier
    assert [i["event_id"] for i in on_the_day] == [i["event_id"] for i in live[2:]]
    assert await timeline(client, date="2027-01-09", kind="handover") == []
    assert (await client.get("/v1/plazas/p1/units/C-0802/timeline", params={"kind": "gossip"})).json()["field"] == "kind"

    async def own_events_published():
        return len(await bus.messages("ARCHIVE", "plazadesk.archive.p1.unit.>")) == 2

    await eventually(own_events_published, what="archive's own unit events on its stream")
    await lose_projections(settings)  # as if archive's database had lost them
    assert await timeline(client) == [] and (await client.get("/v1/plazas/p1/units/C-0802")).json() != unit
    report = await replay.rebuild(settings, "p1")
    assert report.filed == len(live)  # the stray request is not filed

    assert await timeline(client) == live  # same items, same order, same summaries
    assert (await client.get("/v1/plazas/p1/units/C-0802")).json() == unit
    assert [i["type"] for i in live[:2]] == ["UnitRegistered", "DocumentAttached"]
