"""A backlog that reaches archive in batches (published while it was down) ends exactly
where the same events end one at a time: timeline, renovation permits, outstanding defects."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from libs.contracts import new_event_id
from libs.contracts.events import (
    STREAM_OF,
    Defect,
    HandoverInspected,
    RenovationApproved,
    RenovationClosed,
    RequestReceived,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from tests.support.harness import client_for, eventually, service_settings
from services.archive.projections import services as services_projections
from services.archive.app import create_app
from services.archive.settings import Settings

UNIT = {"area_m2": 120.0, "use": "residence", "occupant": {"name": "王芳", "kind": "resident"}}
T0 = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("intake", "dispatch", "survey", "billing", "notices")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)


@pytest.fixture
def batch_sizes(monkeypatch):
    """How many events each call of the set-based path got."""
    sizes: list[int] = []
    apply_events = services_projections.apply_events

    async def counted(tx, events, *args, **kwargs):
        sizes.append(len(events))
        return await apply_events(tx, events, *args, **kwargs)

    monkeypatch.setattr(services_projections, "apply_events", counted)
    return sizes


def at(plaza: str, minutes: int) -> dict:
    return dict(plaza_id=plaza, unit="C-0802", correlation_id="case-1", occurred_at=T0 + dt.timedelta(minutes=minutes))


def work_order(cls, plaza: str, defect: str, minutes: int, **extra):
    common = dict(**at(plaza, minutes), work_order_id=f"wo-{defect}", request_id=defect, department="engineering")
    if cls is WorkOrderCreated:
        return cls(**common, kind="service", text="warranty repair", warranty=True, responsible_party="Huajian")
    if cls is WorkOrderClosed:
        return cls(**common, paid=False, **extra)
    return cls(**common, reason="still leaking", **extra)


# The ids of the copies ``resent`` made: a copy's fact is on the timeline already, under
# the first event's id, so the copy itself is never filed.
COPIES: set[str] = set()


def resent(event):
    """The same fact published again under a new event id: past the inbox, to the handler."""
    copy = msgspec.structs.replace(event, id=new_event_id())
    COPIES.add(copy.id)
    return copy


def the_case(plaza: str) -> tuple[list, list]:
    """Intake's events (a handover, a renovation) and dispatch's (the warranty orders)."""
    defects = [Defect(defect_id=f"d{n}", description=f"defect {n}", responsible_party="Huajian") for n in (1, 2, 3)]
    closing = RenovationClosed(**at(plaza, 60), permit_id="permit-1", deduction_fen=20000, deduction_reason="scratched lift")
    intake = [
        HandoverInspected(**at(plaza, 0), inspection_id="insp-1", accepted=True, defects=defects),
        closing,  # overtook the approval it follows
        RenovationApproved(**at(plaza, 5), permit_id="permit-1", deposit_fen=500000, valid_from=dt.date(2027, 1, 11),
                           valid_until=dt.date(2027, 2, 28)),
        resent(closing),
        RequestReceived(**at(plaza, 6), request_id="req-1", channel="phone", kind="service", text="door bell broken"),
    ]
    closing_d2 = work_order(WorkOrderClosed, plaza, "d2", 21)
    dispatch = [
        work_order(WorkOrderCreated, plaza, "d1", 1), work_order(WorkOrderCreated, plaza, "d2", 2),
        work_order(WorkOrderCreated, plaza, "d3", 3),
        work_order(WorkOrderClosed, plaza, "d1", 20),
        work_order(WorkOrderReopened, plaza, "d2", 40, reopen_count=1),
        closing_d2,  # the closing the reopening follows, arriving after it: must not close d2 again
        resent(closing_d2),
        work_order(WorkOrderClosed, plaza, "req-1", 30),  # an ordinary work order: no defect of its own
    ]
    return intake, dispatch


async def unit_of(client, plaza: str) -> dict:
    r = await client.get(f"/v1/plazas/{plaza}/units/C-0802")
    assert r.status_code == 200, r.text
    return r.json()


async def timeline(client, plaza: str) -> list[dict]:
    r = await client.get(f"/v1/plazas/{plaza}/units/C-0802/timeline", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def filed(client, plaza: str, events: list) -> bool:
    on_it = {i["event_id"] for i in await timeline(client, plaza)}
    return all(e.id in on_it for e in events if e.id not in COPIES)


def as_read(items: list[dict]) -> list[tuple]:
    """What a clerk reads of other services' events, whatever their ids (which order ties)."""
    return sorted((i["occurred_at"], i["type"], i["summary"], i["source"]) for i in items if i["source"] != "archive")


async def test_a_backlog_applied_in_batches_ends_where_one_event_at_a_time_does(settings, bus, batch_sizes):
    intake, dispatch = the_case("p1")
    for event in intake:  # archive is down: the handover and the renovation wait on the stream
        await bus.publish(event)
    async with client_for(create_app(settings)) as client:
        for plaza in ("p1", "p2"):
            assert (await client.put(f"/v1/plazas/{plaza}", json={"name": plaza, "timezone": "Asia/Shanghai"})).status_code == 201
            assert (await client.put(f"/v1/plazas/{plaza}/units/C-0802", json=UNIT)).status_code == 201
        await eventually(lambda: filed(client, "p1", intake), what="intake's backlog on p1's timeline")

    for event in dispatch[:4]:  # down again while the warranty orders are worked
        await bus.publish(event)
    await bus.publish_raw("plazadesk.dispatch.p1.engineering.work_order.closed", b'{"type": "WorkOrderClosed", "plaza_id": 5}')
    for event in dispatch[4:]:
        await bus.publish(event)
    async with client_for(create_app(settings)) as client:
        await eventually(lambda: filed(client, "p1", dispatch), what="dispatch's backlog on p1's timeline")
        assert max(batch_sizes) >= len(dispatch)  # the backlog came as one batch, not event by event
        dead = await eventually(lambda: _dead_letters(bus), what="the malformed closing dead-lettered")
        assert [m.headers["PlazaDesk-Consumer"] for m in dead] == ["archive-dispatch"]

        batched = await unit_of(client, "p1")
        # d1's order closed; d2's was reopened (its late closing and the copy change nothing); d3's is open.
        assert [(d["defect_id"], d["work_order_id"]) for d in batched["outstanding_defects"]] == [("d2", "wo-d2"), ("d3", "wo-d3")]
        assert batched["renovation_permits"] == [{"permit_id": "permit-1", "status": "closed", "valid_from": "2027-01-11",
                                                  "valid_until": "2027-02-28", "deposit_fen": 500000, "deduction_fen": 20000}]

        # The same history in plaza p2, each event applied before the next is published.
        sizes_before = len(batch_sizes)
        intake_p2, dispatch_p2 = the_case("p2")
        for event in [*intake_p2, *dispatch_p2]:
            await bus.publish(event)
            if event.id in COPIES:  # filed under the first event's id: taken once it is acknowledged
                await eventually(lambda: _acknowledged(bus, event), what=f"the copy of a {type(event).__name__}")
            else:
                await eventually(lambda: filed(client, "p2", [event]), what=f"{type(event).__name__} on p2's timeline")
        assert set(batch_sizes[sizes_before:]) == {1}

        alone = await unit_of(client, "p2")
        assert alone["outstanding_defects"] == batched["outstanding_defects"]
        assert alone["renovation_permits"] == batched["renovation_permits"]
        batched_timeline, alone_timeline = await timeline(client, "p1"), await timeline(client, "p2")
        # Each fact once: the re-sent copies (a renovation closing, a work order closing) are not filed again.
        assert len(batched_timeline) == 1 + len(intake) + len(dispatch) - 2
        assert not COPIES & {i["event_id"] for i in batched_timeline + alone_timeline}
        assert as_read(batched_timeline) == as_read(alone_timeline)


async def _acknowledged(bus, event) -> bool:
    """Archive's consumer of the event's stream has acknowledged everything on it."""
    producer = STREAM_OF[type(event)]
    last = (await bus.js.stream_info(producer.upper())).state.last_seq
    return (await bus.js.consumer_info(producer.upper(), f"archive-{producer}")).ack_floor.stream_seq >= last


async def _dead_letters(bus):
    return await bus.messages("DEADLETTER") or None
