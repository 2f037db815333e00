"""Dispatch's copy of staff's roster against a real nats-server and database (SQLite, and
PostgreSQL if here): whom a job may go to while its department's roster covers now, and
the supervisor on duty an SLA breach is escalated to. The clock is the test's (sla.now)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from libs.contracts import new_event_id
from libs.contracts.events import DECODERS, RequestReceived, WorkOrderEscalated
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from services.dispatch.sla import services as sla
from tests.support.archive_facts import register
from tests.support.harness import client_for, eventually, service_settings
from tests.support.staff_facts import publish_staff, shift_cancelled, shift_planned, staff_joined

UTC = dt.timezone.utc
# Monday 2 March 2026, 10:00 in Shanghai.
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(sla, "now", clock)
    return clock


@pytest.fixture
async def dispatch(bus, nats_server, db_kind, tmp_path, cleanup_schemas, clock):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas, sla_sweep_s=0.05)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", "A-203", known_by="dispatch")
        yield client


def request(text: str, *, kind: str = "service", **extra) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(plaza_id="p1", correlation_id=request_id, actor="clerk-li", request_id=request_id,
                           unit="A-203", channel="phone", kind=kind, text=text, **extra)


async def opened(client, bus, event: RequestReceived) -> dict:
    await bus.publish(event)

    async def probe():
        items = (await client.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]
        return items[0] if items else None

    return await eventually(probe, what=f"a work order for request {event.request_id}")


async def offered(client, wo: dict) -> dict:
    r = await client.get(f"/v1/plazas/p1/work-orders/{wo['id']}/assignees")
    assert r.status_code == 200, r.text
    return r.json()


async def assigned(client, wo: dict, who: str):
    return await client.post(f"/v1/plazas/p1/work-orders/{wo['id']}/assign", json={"assignee": who})


ENGINEERS = (staff_joined("p1", "eng-wang", "engineering", name="王工"), staff_joined("p1", "eng-zhao", "engineering", name="赵工"),
             staff_joined("p1", "eng-qian", "engineering", name="钱工"), staff_joined("p1", "guard-sun", "security", name="孙"))


async def test_while_engineerings_roster_covers_now_only_people_on_shift_are_offered_and_may_take_the_job(dispatch, bus):
    wo = await opened(dispatch, bus, request("the drain in the shop is blocked"))
    await publish_staff(bus, *ENGINEERS)
    # No roster yet: the whole department is offered, and anyone of it may take the job.
    before = await offered(dispatch, wo)
    assert before["roster"] is False
    assert sorted((i["username"], i["on_shift"]) for i in before["items"]) == [
        ("eng-qian", False), ("eng-wang", False), ("eng-zhao", False)]

    await publish_staff(
        bus,
        shift_planned("p1", "s-day-wang", "eng-wang", T0 - 2 * H, T0 + 6 * H),
        shift_planned("p1", "s-day-zhao", "eng-zhao", T0 - 1 * H, T0 + 2 * H),
        shift_planned("p1", "s-night-qian", "eng-qian", T0 + 6 * H, T0 + 14 * H),  # later today
        shift_planned("p1", "s-guard", "guard-sun", T0 - 1 * H, T0 + 8 * H),  # security's, not engineering's
    )
    now = await offered(dispatch, wo)
    assert now["roster"] is True
    assert [(i["username"], i["name"], i["on_shift"], i["post"], i["shift_ends_at"]) for i in now["items"]] == [
        ("eng-wang", "王工", True, "fitter", "2026-03-02T08:00:00Z"),
        ("eng-zhao", "赵工", True, "fitter", "2026-03-02T04:00:00Z"),
    ]

    refused = await assigned(dispatch, wo, "eng-qian")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["field"] == "assignee"
    assert refused.json()["detail"] == "'eng-qian' is not on shift now; on engineering's shift: eng-wang, eng-zhao"
    assert (await dispatch.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()["status"] == "created"
    ok = await assigned(dispatch, wo, "eng-zhao")
    assert ok.status_code == 200 and ok.json()["assignee"] == "eng-zhao"

    # Security keeps no roster of its own here: its people are never locked out of its jobs.
    guard_job = await opened(dispatch, bus, request("a stranger in the car park", department="security", department_chosen=True))
    assert (await assigned(dispatch, guard_job, "guard-sun")).status_code == 200


async def test_a_swap_moves_the_shift_to_its_new_person_and_a_cancelled_shift_stays_cancelled(dispatch, bus):
    wo = await opened(dispatch, bus, request("the drain in the shop is blocked"))
    plan = shift_planned("p1", "s-1", "eng-wang", T0 - H, T0 + 4 * H)
    await publish_staff(bus, *ENGINEERS, plan, shift_planned("p1", "s-2", "eng-qian", T0 - H, T0 + 4 * H))
    swapped = shift_planned("p1", "s-1", "eng-zhao", T0 - H, T0 + 4 * H)  # the supervisor approved a swap
    await publish_staff(bus, swapped, shift_cancelled("p1", "s-2", "eng-qian"))
    assert [i["username"] for i in (await offered(dispatch, wo))["items"]] == ["eng-zhao"]

    # A late copy of the plan before the swap, and the cancelled shift's plan again: nothing changes.
    await publish_staff(bus, msgspec.structs.replace(plan, id=new_event_id()),
                        msgspec.structs.replace(shift_planned("p1", "s-2", "eng-qian", T0 - H, T0 + 4 * H),
                                                occurred_at=T0 - 3 * H))
    assert [i["username"] for i in (await offered(dispatch, wo))["items"]] == ["eng-zhao"]
    assert (await assigned(dispatch, wo, "eng-wang")).status_code == 422

    # Its only shift cancelled, the department has no roster now: everyone is offered again.
    await publish_staff(bus, shift_cancelled("p1", "s-1", "eng-zhao"))
    again = await offered(dispatch, wo)
    assert again["roster"] is False and len(again["items"]) == 3


async def escalations(bus, work_order_id: str, n: int) -> list[WorkOrderEscalated]:
    async def probe():
        found = [DECODERS["dispatch"].decode(m.data) for m in await bus.messages("DISPATCH")]
        found = [e for e in found if isinstance(e, WorkOrderEscalated) and e.work_order_id == work_order_id]
        return found if len(found) >= n else None

    return await eventually(probe, what=f"{n} escalations of {work_order_id}")


async def test_a_missed_deadline_goes_to_the_supervisor_on_duty_else_to_the_plazas_supervisors(dispatch, bus, clock):
    await publish_staff(
        bus,
        staff_joined("p1", "lead-li", "customer_service", name="李主管", roles=("supervisor",)),
        staff_joined("p1", "lead-zhou", "customer_service", name="周主管", roles=("supervisor",)),
        staff_joined("p1", "clerk-ma", "customer_service", roles=("clerk",)),
        shift_planned("p1", "s-lead-day", "lead-li", T0 - H, T0 + H / 2, post="supervisor"),
        shift_planned("p1", "s-clerk", "clerk-ma", T0 - H, T0 + 8 * H, post="front_desk"),
    )
    burst = await opened(dispatch, bus, request("pipe burst in B1, water everywhere"))  # respond within 15 min
    clock.at = T0 + dt.timedelta(minutes=16)
    [first] = await escalations(bus, burst["id"], 1)
    assert (first.level, first.to, first.on_duty) == ("supervisor", ["lead-li"], True)
    shown = (await dispatch.get(f"/v1/plazas/p1/work-orders/{burst['id']}")).json()
    assert [(e["level"], e["to"], e["on_duty"]) for e in shown["escalations"]] == [("supervisor", ["lead-li"], True)]
    inbox = (await dispatch.get("/v1/plazas/p1/escalations")).json()["items"]
    assert [(i["work_order_id"], i["to"], i["on_duty"]) for i in inbox] == [(burst["id"], ["lead-li"], True)]

    # Li's shift is over and nobody is on a supervisor's post: every supervisor of the plaza is named.
    clock.at = T0 + H
    leak = await opened(dispatch, bus, request("water leaking from the ceiling, urgent"))
    clock.at = T0 + 4 * H  # long past its deadline: the supervisor's rung, then the manager's
    later = await escalations(bus, leak["id"], 2)
    assert [(e.level, e.to, e.on_duty) for e in later] == [
        ("supervisor", ["lead-li", "lead-zhou"], False), ("manager", [], False)]
