"""Dispatch's SLA deadlines, escalation ladder, cancel, second dispatch, warranty work
orders, praise and suggestions, against a real nats-server and database, with a clock the
test moves (sla.now) instead of waiting for time to pass."""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager

import msgspec
import pytest

from libs.contracts import new_event_id
from libs.contracts.events import (
    DECODERS,
    Defect,
    HandoverInspected,
    PlazaRegistered,
    RequestReceived,
    VisitCompleted,
    WorkOrderCancelled,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
)
from tests.support.harness import client_for, eventually, service_settings
from services.dispatch.app import create_app
from services.dispatch.settings import Settings
from services.dispatch.sla import services as sla
from services.dispatch.work_orders import services as work_orders
from tests.support.archive_facts import register
from tests.support.staff_facts import assign

UTC = dt.timezone.utc
# Monday 2 March 2026, 10:00 in Shanghai: inside working hours.
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(sla, "now", clock)
    return clock


@pytest.fixture
def sweeps(monkeypatch):
    """What each SLA sweep raised, so a test can wait for sweeps instead of sleeping."""
    raised: list[int] = []
    real = work_orders.sweep_deadlines

    async def counted(tx):
        n = await real(tx)
        raised.append(n)
        return n

    monkeypatch.setattr(work_orders, "sweep_deadlines", counted)
    return raised


@pytest.fixture
async def settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    return service_settings(
        Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas, sla_sweep_s=0.05
    )


@asynccontextmanager
async def running(settings, bus):
    async with client_for(create_app(settings)) as client:
        await register(bus, "p2")
        await register(bus, "p1", "A-203", "B-1204", known_by="dispatch")
        yield client


@pytest.fixture
async def dispatch(settings, bus, clock, sweeps):
    async with running(settings, bus) as client:
        yield client


def request(text: str, *, kind: str = "service", plaza: str = "p1", **extra) -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(
        plaza_id=plaza, correlation_id=request_id, actor="clerk-li", request_id=request_id,
        unit="A-203", channel="phone", kind=kind, text=text, **extra,
    )


async def work_order_of(client, request_id: str, plaza: str = "p1") -> dict:
    async def probe():
        items = (await client.get(f"/v1/plazas/{plaza}/work-orders", params={"request_id": request_id})).json()["items"]
        return items[0] if items else None

    return await eventually(probe, what=f"a work order for request {request_id}")


async def opened(client, bus, event: RequestReceived) -> dict:
    await bus.publish(event)
    return await work_order_of(client, event.request_id, event.plaza_id)


async def events(bus, work_order_id: str | None = None, cls=None) -> list:
    found = [DECODERS["dispatch"].decode(m.data) for m in await bus.messages("DISPATCH")]
    return [
        e for e in found
        if (work_order_id is None or getattr(e, "work_order_id", None) == work_order_id) and (cls is None or isinstance(e, cls))
    ]


async def published(bus, work_order_id: str | None, cls, n: int) -> list:
    """The events of ``cls`` on the stream once at least ``n`` are there: the relay publishes after commit."""

    async def probe():
        found = await events(bus, work_order_id, cls)
        return found if len(found) >= n else None

    return await eventually(probe, what=f"{n} {cls.__name__} of {work_order_id or 'any work order'}")


async def escalations(bus, work_order_id: str, n: int) -> list[WorkOrderEscalated]:
    return await published(bus, work_order_id, WorkOrderEscalated, n)


async def quiet_sweeps(sweeps: list[int], n: int = 3) -> None:
    """Wait for ``n`` more complete sweeps and require that they raised nothing."""
    seen = len(sweeps)
    await eventually(lambda: _ready(len(sweeps) >= seen + n), what=f"{n} more SLA sweeps")
    assert sweeps[seen:] == [0] * (len(sweeps) - seen)


async def _ready(value):
    return value


async def act(client, wo: dict, action: str, body: dict | None = None, status: int = 200) -> dict:
    r = await client.post(f"/v1/plazas/{wo['plaza_id']}/work-orders/{wo['id']}/{action}", json=body or {})
    assert r.status_code == status, r.text
    return r.json()


def z(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


# --- deadlines and the ladder --------------------------------------------------------------


async def test_a_missed_deadline_goes_to_the_supervisor_then_the_manager_once_even_across_a_restart(
    settings, clock, sweeps, bus
):
    async with running(settings, bus) as dispatch:
        wo = await opened(dispatch, bus, request("pipe burst in B1, water everywhere"))
        assert wo["priority"] == "emergency" and wo["sla_class"] == "emergency"
        assert (wo["respond_due_at"], wo["on_site_due_at"], wo["resolve_due_at"]) == (
            z(T0 + dt.timedelta(minutes=15)), z(T0 + dt.timedelta(minutes=30)), z(T0 + dt.timedelta(hours=24)),
        )
        # The work order is visible before the relay has published its event: wait for it.
        [created] = await eventually(lambda: events(bus, wo["id"], WorkOrderCreated), what="WorkOrderCreated")
        assert created.respond_due_at == T0 + dt.timedelta(minutes=15)
        await quiet_sweeps(sweeps)  # nothing is due yet

        clock.set(T0 + dt.timedelta(minutes=16))
        [supervisor] = await escalations(bus, wo["id"], 1)
        assert (supervisor.level, supervisor.deadline, supervisor.due_at) == ("supervisor", "respond", T0 + dt.timedelta(minutes=15))
        await quiet_sweeps(sweeps)

        clock.set(T0 + dt.timedelta(minutes=23))  # respond + half its 15 minutes has passed
        first, manager = await escalations(bus, wo["id"], 2)
        assert first == supervisor and (manager.level, manager.deadline) == ("manager", "respond")
        await quiet_sweeps(sweeps)

    async with running(settings, bus) as restarted:  # same database, a new process
        await quiet_sweeps(sweeps)
        assert len(await events(bus, wo["id"], WorkOrderEscalated)) == 2
        shown = (await restarted.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
        assert [(e["level"], e["cause"]) for e in shown["escalations"]] == [("supervisor", "respond:0"), ("manager", "respond:0")]
        respond = next(d for d in shown["deadlines"] if d["name"] == "respond")
        assert (respond["state"], respond["escalated"]) == ("breached", "manager")

        # Responding late stops that ladder; the on-site deadline still has its own.
        await assign(restarted, bus, wo, "zhang")
        clock.set(T0 + dt.timedelta(minutes=31))
        *_, on_site = await escalations(bus, wo["id"], 3)
        assert (on_site.level, on_site.deadline) == ("supervisor", "on_site")
        await quiet_sweeps(sweeps)
        assert [e.level for e in await events(bus, wo["id"], WorkOrderEscalated)] == ["supervisor", "manager", "supervisor"]
        respond = next(d for d in (await restarted.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()["deadlines"] if d["name"] == "respond")
        assert respond["state"] == "met_late"


async def test_business_hours_and_the_plazas_own_policy_set_the_deadlines(dispatch, clock, bus):
    clock.set(dt.datetime(2026, 3, 7, 9, 50, tzinfo=UTC))  # Saturday 17:50 in Shanghai
    urgent = await opened(dispatch, bus, request("紧急：门锁坏了"))
    assert urgent["respond_due_at"] == "2026-03-09T00:50:00Z"  # Monday 08:50: Sunday is closed

    shown = (await dispatch.get("/v1/plazas/p1/sla-policy")).json()
    assert shown["defaults"] is True and shown["calendar"]["opens"] == "08:30"
    assert shown["targets"]["emergency"]["on_site"] == {"minutes": 30, "business": False}

    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
    policy = {"calendar": {"timezone": "Asia/Shanghai", "opens": "09:00", "closes": "21:00", "working_days": [1, 2, 3, 4, 5, 6, 7]},
              "targets": {"urgent": {"respond": {"minutes": 20, "business": True}, "resolve": {"minutes": 240, "business": True}}}}

    async def replaced():
        r = await dispatch.put("/v1/plazas/p1/sla-policy", json=policy)
        return r.json() if r.status_code == 200 else None

    saved = await eventually(replaced, what="dispatch to learn plaza p1")
    assert saved["defaults"] is False and saved["targets"]["urgent"]["respond"]["minutes"] == 20
    assert saved["targets"]["normal"]["respond"]["minutes"] == 30  # classes left out keep the defaults
    again = await opened(dispatch, bus, request("紧急：灯坏了"))
    assert again["respond_due_at"] == "2026-03-07T10:10:00Z"  # open until 21:00 now: 17:50 + 20 min
    assert (await dispatch.get(f"/v1/plazas/p1/work-orders/{urgent['id']}")).json()["respond_due_at"] == "2026-03-09T00:50:00Z"

    bad = await dispatch.put("/v1/plazas/p1/sla-policy", json={"calendar": {"timezone": "Mars/Base"}})
    assert bad.status_code == 422 and bad.json()["field"] == "calendar.timezone"


async def test_a_major_complaint_goes_to_the_manager_at_once_and_a_clerk_can_escalate(dispatch, bus):
    major = await opened(dispatch, bus, request("保安打人，我要找律师投诉", kind="complaint", major=True))
    [at_once] = await escalations(bus, major["id"], 1)
    assert (at_once.level, at_once.reason, at_once.deadline) == ("manager", "major complaint", None)

    wo = await opened(dispatch, bus, request("the drain is blocked"))
    shown = await act(dispatch, wo, "escalate", {"reason": "merchant asks for a rent reduction"})
    assert [(e["level"], e["cause"]) for e in shown["escalations"]] == [("supervisor", "authority")]
    [raised] = await escalations(bus, wo["id"], 1)
    assert raised.level == "supervisor" and raised.reason == "exceeding authority (超出权限): merchant asks for a rent reduction"
    await act(dispatch, wo, "escalate", {"reason": "supervisor cannot approve", "level": "manager"})
    r = await dispatch.post(f"/v1/plazas/p1/work-orders/{wo['id']}/escalate", json={"reason": "  "})
    assert r.status_code == 422 and r.json()["field"] == "reason"


# --- cancel -------------------------------------------------------------------------------


async def test_cancel_with_reason_stops_the_job_and_its_deadlines(dispatch, clock, sweeps, bus):
    wo = await opened(dispatch, bus, request("the light in the corridor is off"))
    r = await dispatch.post(f"/v1/plazas/p1/work-orders/{wo['id']}/cancel", json={"reason": " "})
    assert r.status_code == 422 and r.json()["field"] == "reason"

    cancelled = await act(dispatch, wo, "cancel", {"reason": "duplicate of an earlier call"})
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["allowed_actions"]) == ("cancelled", "duplicate of an earlier call", [])
    assert {d["state"] for d in cancelled["deadlines"]} == {"void"}
    [event] = await eventually(lambda: events(bus, wo["id"], WorkOrderCancelled), what="WorkOrderCancelled")
    assert event.reason == "duplicate of an earlier call" and event.subject_tokens() == ("p1", "engineering", "work_order", "cancelled")

    for action, body in (("start", {}), ("cancel", {"reason": "again"}), ("escalate", {"reason": "x"})):
        r = await dispatch.post(f"/v1/plazas/p1/work-orders/{wo['id']}/{action}", json=body)
        assert r.status_code == 409 and r.json()["field"] == "status" and "cancelled" in r.json()["detail"]

    clock.set(T0 + dt.timedelta(days=3))  # every deadline long past: a cancelled job does not escalate
    await quiet_sweeps(sweeps)
    assert await events(bus, wo["id"], WorkOrderEscalated) == []


# --- second dispatch ------------------------------------------------------------------------


def unsatisfied(wo: dict, comment: str) -> VisitCompleted:
    return VisitCompleted(
        plaza_id="p1", correlation_id=wo["request_id"], actor="survey", visit_id=new_event_id(),
        work_order_id=wo["id"], unit=wo["unit"], department=wo["department"], rating="unsatisfied", comment=comment,
    )


async def finish(client, wo: dict, *, bus=None) -> None:
    """Started, resolved and closed; with ``bus``, first assigned (the assignee made staff through it)."""
    if bus is not None:
        await assign(client, bus, wo, "zhang")
    await act(client, wo, "start")
    await act(client, wo, "resolve", {"paid": False})
    await act(client, wo, "close")


async def test_two_unsatisfied_visits_reopen_twice_with_tighter_deadlines_then_reach_the_manager(dispatch, clock, bus):
    wo = await opened(dispatch, bus, request("the drain in the shop is blocked"))
    assert wo["resolve_due_at"] == z(T0 + dt.timedelta(hours=24))
    await finish(dispatch, wo, bus=bus)

    reopened_at = []
    for n, comment in ((1, "still blocked"), (2, "blocked again")):
        clock.set(T0 + dt.timedelta(hours=2 * n))
        reopened_at.append(clock.at)
        await bus.publish(unsatisfied(wo, comment))
        shown = await eventually(
            lambda: _shown_when(dispatch, wo, lambda w: w["reopen_count"] == n), what=f"reopening {n}"
        )
        assert shown["status"] == "assigned" and shown["resolve_due_at"] == z(clock.at + dt.timedelta(hours=12))
        if n == 1:
            await finish(dispatch, wo)

    reopens = await published(bus, wo["id"], WorkOrderReopened, 2)
    assert [(e.reopen_count, e.resolve_due_at, e.reason) for e in reopens] == [
        (1, reopened_at[0] + dt.timedelta(hours=12), "still blocked"),
        (2, reopened_at[1] + dt.timedelta(hours=12), "blocked again"),
    ]
    assert all(e.work_order_id == wo["id"] and e.correlation_id == wo["request_id"] for e in reopens)
    [manager] = await escalations(bus, wo["id"], 1)
    assert manager.level == "manager" and manager.reopen_count == 2 and "blocked again" in manager.reason
    resolve_rounds = [(d["round"], d["state"]) for d in shown["deadlines"] if d["name"] == "resolve"]
    assert resolve_rounds == [(0, "met"), (1, "met"), (2, "running")]


async def _shown_when(client, wo, condition):
    shown = (await client.get(f"/v1/plazas/p1/work-orders/{wo['id']}")).json()
    return shown if condition(shown) else None


# --- warranty work orders from the handover ------------------------------------------------


async def test_a_handover_with_three_defects_opens_three_engineering_warranty_work_orders(dispatch, bus):
    defects = [
        Defect(defect_id=new_event_id(), description=text, location=where, responsible_party="Jianan Construction")
        for text, where in (("crack in the bathroom tiles", "bathroom"), ("window does not close", "bedroom"), ("socket dead", "kitchen"))
    ]
    inspection = HandoverInspected(
        plaza_id="p1", correlation_id=new_event_id(), actor="inspector-zhou", unit="B-1204",
        inspection_id=new_event_id(), accepted=True, defects=defects,
    )
    await bus.publish(inspection)
    await bus.publish(msgspec.structs.replace(inspection, id=new_event_id()))  # delivered again, under a new id

    found = [await work_order_of(dispatch, d.defect_id) for d in defects]
    assert [(w["department"], w["warranty"], w["responsible_party"], w["kind"], w["unit"], w["sla_class"]) for w in found] == [
        ("engineering", True, "Jianan Construction", "service", "B-1204", "warranty")
    ] * 3
    assert [w["text"] for w in found] == [d.description for d in defects]

    await eventually(lambda: bus.caught_up("INTAKE", "dispatch-handover-inspected"), what="both deliveries to be handled")
    created = await published(bus, None, WorkOrderCreated, 3)
    assert len(created) == 3 and all(e.warranty and e.responsible_party == "Jianan Construction" for e in created)
    assert len(await bus.messages("DISPATCH", "plazadesk.dispatch.p1.engineering.work_order.created")) == 3


# --- praise, suggestions, the department queue ---------------------------------------------


async def test_praise_reaches_its_department_and_suggestions_the_manager(dispatch, bus):
    await bus.publish(request("感谢保安小王帮我找回钱包", kind="praise", praised_department="security"))
    await bus.publish(request("thank you, the lift repair was quick", kind="praise"))
    await bus.publish(request("建议在停车场增加充电桩", kind="suggestion"))

    async def praise(department=None):
        params = {"department": department} if department else {}
        return (await dispatch.get("/v1/plazas/p1/praise", params=params)).json()["items"]

    items = await eventually(lambda: _at_least(praise(), 2), what="two praises recorded")
    assert sorted(i["department"] for i in items) == ["engineering", "security"]
    assert [i["text"] for i in await praise("security")] == ["感谢保安小王帮我找回钱包"]
    suggestions = await eventually(
        lambda: _at_least(_items(dispatch, "/v1/plazas/p1/suggestions"), 1), what="the suggestion recorded"
    )
    assert suggestions[0]["text"] == "建议在停车场增加充电桩"
    assert (await dispatch.get("/v1/plazas/p1/work-orders")).json()["items"] == []


async def _items(client, path):
    return (await client.get(path)).json()["items"]


async def _at_least(awaitable, n):
    items = await awaitable
    return items if len(items) >= n else None


async def test_a_department_queue_lists_its_open_work_orders_by_deadline(dispatch, clock, bus):
    normal = await opened(dispatch, bus, request("the light flickers"))  # respond by 10:30
    clock.set(T0 + dt.timedelta(minutes=5))
    emergency = await opened(dispatch, bus, request("water pipe burst"))  # respond by 10:20
    await opened(dispatch, bus, request("noise at night", kind="complaint"))  # security's
    done = await opened(dispatch, bus, request("door lock broken"))
    await act(dispatch, done, "cancel", {"reason": "fixed by the merchant"})

    queue = (await dispatch.get("/v1/plazas/p1/departments/engineering/queue")).json()
    assert [i["id"] for i in queue["items"]] == [emergency["id"], normal["id"]]
    assert queue["items"][0]["next_due_at"] == z(T0 + dt.timedelta(minutes=20))
    await assign(dispatch, bus, emergency, "zhang")  # responded: next is on site by 10:35
    queue = (await dispatch.get("/v1/plazas/p1/departments/engineering/queue")).json()
    assert [i["id"] for i in queue["items"]] == [normal["id"], emergency["id"]]
