"""Dispatch's set-based consumers: a batch of requests, handover inspections or return
visits must leave exactly what applying them one at a time leaves (one work order per
request, each plaza's own rules and SLA policy, major complaints escalated, each visit
counted once), on SQLite and PostgreSQL; and a bad event inside a batch is dead-lettered
alone."""

from __future__ import annotations

import datetime as dt
import random

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts import new_event_id
from libs.contracts.events import (
    DECODERS,
    Defect,
    HandoverInspected,
    PlazaRegistered,
    RequestReceived,
    VisitCompleted,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
)
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime import replica
from libs.runtime.db import Database
from libs.runtime.errors import NotFound
from libs.runtime.uow import Tx
from tests.support.harness import client_for, database_settings, eventually, make_tables, service_settings
from services.dispatch import tables
from services.dispatch.app import create_app
from services.dispatch.routing import store as routing_store
from services.dispatch.settings import Settings
from services.dispatch.sla import services as sla
from services.dispatch.sla import store as sla_store
from services.dispatch.work_orders import domain as work_orders_domain
from services.dispatch.work_orders import services as work_orders
from services.dispatch.work_orders import store
from tests.support.archive_facts import register
from tests.support.staff_facts import assign

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

P1_RULES = [{"keyword": "lift", "department": "lift_vendor"}, {"keyword": "漏", "department": "plumbing"}]
P2_RULES = [{"keyword": "lift", "department": "elevator_co"}]
# p2 answers a normal job within 45 minutes on the wall clock; p1 and p3 keep the defaults.
P2_POLICY = {"targets": {"normal": {"respond": {"minutes": 45}, "resolve": {"minutes": 600}}}}

TEXTS = [
    "the lift is stuck", "卫生间漏水", "the drain is blocked", "保安态度差", "fire alarm and smoke",
    "urgent: the door lock is broken", "垃圾没有清理", "nothing specific", "the lift smells",
]


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(sla, "now", lambda: T0)


async def _database(kind: str, tmp_path, name: str, schemas: list[str]) -> Database:
    settings = database_settings(kind, tmp_path, name)
    if "database_schema" in settings:
        schemas.append(settings["database_schema"])
    db = Database(settings["database_url"], schema=settings.get("database_schema"))
    await make_tables(db, tables.metadata)
    async with db.write() as conn:
        await replica.keep_archive_facts(conn, tables.plazas, tables.units, [
            PlazaRegistered(plaza_id=plaza, correlation_id="seed", name=plaza) for plaza in ("p1", "p2", "p3")])
        await routing_store.replace_routing_rules(conn, "p1", P1_RULES)
        await routing_store.replace_routing_rules(conn, "p2", P2_RULES)
        await sla_store.put_policy(conn, "p2", P2_POLICY, T0, "test")
    return db


@pytest.fixture
async def dbs(db_kind, tmp_path, cleanup_schemas, clock):
    """Two databases set up alike: one fed one event at a time, one fed in batches."""
    pair = [await _database(db_kind, tmp_path, name, cleanup_schemas) for name in ("dispatch_one", "dispatch_batch")]
    yield pair
    for db in pair:
        await db.dispose()


async def _in_tx(db: Database, use_case, events: list, **kwargs) -> tuple[list, object]:
    async with db.write() as conn:
        tx = Tx(conn, tables.outbox, tables.inbox)
        result = await use_case(tx, events, **kwargs)
    return tx.emitted, result


async def _one_at_a_time(db: Database, use_case, events: list, **kwargs) -> tuple[list, list]:
    emitted, results = [], []
    for event in events:
        out, result = await _in_tx(db, use_case, [event], **kwargs)
        emitted += out
        results += result
    return emitted, results


async def _in_batches(db: Database, use_case, events: list, rng: random.Random, **kwargs) -> tuple[list, list]:
    emitted, results, start = [], [], 0
    while start < len(events):
        size = rng.choice([len(events), rng.randint(1, 15)])
        out, result = await _in_tx(db, use_case, events[start:start + size], **kwargs)
        emitted += out
        results += result
        start += size
    return emitted, results


def _request(rng: random.Random, plaza: str) -> RequestReceived:
    request_id = new_event_id()
    kind = rng.choice(["service", "service", "complaint", "complaint", "praise", "suggestion"])
    return RequestReceived(
        plaza_id=plaza, correlation_id=request_id, actor=rng.choice(["clerk-li", "clerk-wang"]), request_id=request_id,
        unit=f"A-{rng.randint(1, 3)}", channel="phone", kind=kind, text=rng.choice(TEXTS),
        major=kind == "complaint" and rng.random() < 0.4, serviceable=rng.random() > 0.1,
        praised_department=rng.choice([None, "security"]) if kind == "praise" else None,
    )


def _requests(rng: random.Random) -> list[RequestReceived]:
    """Requests of three plazas, some re-sent under new event ids (nearby or far), one
    request id used in two plazas; a lift in p1 and in p2 and a major complaint among them."""
    complaint = msgspec.structs.replace(_at("p3", "保安打人，我要投诉", kind="complaint"), major=True)
    events = [_at("p1", "the lift is stuck"), _at("p2", "the lift is stuck"), complaint]
    for _ in range(30):
        event = _request(rng, rng.choice(["p1", "p2", "p3"]))
        events += [event] + [msgspec.structs.replace(event, id=new_event_id()) for _ in range(rng.choice([0, 0, 1, 2]))]
    twin = next(e for e in events if e.kind == "service" and e.serviceable)
    events.append(msgspec.structs.replace(twin, id=new_event_id(), plaza_id="p3" if twin.plaza_id != "p3" else "p1"))
    rng.shuffle(events)
    return events


async def _state(db: Database) -> dict:
    """Everything a user could see, keyed by business ids (work order ids are random)."""
    async with db.read() as conn:
        orders = {r.id: r for r in (await conn.execute(sa.select(tables.work_orders))).all()}

        def key(work_order_id: str) -> tuple:
            return orders[work_order_id].plaza_id, orders[work_order_id].request_id

        deadlines = (await conn.execute(sa.select(tables.deadlines))).all()
        escalations = (await conn.execute(sa.select(tables.escalations))).all()
        praise = (await conn.execute(sa.select(tables.praise))).all()
        suggestions = (await conn.execute(sa.select(tables.suggestions))).all()
        visits = (await conn.execute(sa.select(tables.applied_visits))).all()
    return {
        "work_orders": sorted(
            (r.plaza_id, r.request_id, r.department, r.priority, r.sla_class, r.kind, r.major, r.category, r.status,
             r.reopen_count, r.last_rating, r.closed_at, r.updated_at, r.warranty, r.responsible_party, r.text)
            for r in orders.values()
        ),
        "deadlines": sorted((*key(d.work_order_id), d.name, d.round, d.due_at, d.manager_at) for d in deadlines),
        "escalations": sorted((*key(e.work_order_id), e.level, e.cause, e.reason, e.actor) for e in escalations),
        "praise": sorted((p.plaza_id, p.request_id, p.department) for p in praise),
        "suggestions": sorted((s.plaza_id, s.request_id) for s in suggestions),
        "visits": sorted((v.plaza_id, v.visit_id, v.work_order_id, v.rating, v.outcome) for v in visits),
    }


def _told(events: list) -> list[tuple]:
    """What was announced, in order, without the random ids."""
    out = []
    for e in events:
        common = (type(e).__name__, e.plaza_id, e.request_id, e.department, e.causation_id, e.actor, e.reopen_count)
        if isinstance(e, WorkOrderCreated):
            out.append((*common, e.priority, e.major, e.warranty, e.respond_due_at, e.on_site_due_at, e.resolve_due_at))
        elif isinstance(e, WorkOrderEscalated):
            out.append((*common, e.level, e.reason))
        elif isinstance(e, WorkOrderReopened):
            out.append((*common, e.visit_id, e.reason, e.resolve_due_at))
        else:
            out.append(common)
    return out


# --- requests ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
async def test_requests_opened_in_batches_leave_what_one_at_a_time_leaves(dbs, seed):
    rng = random.Random(seed)
    history = _requests(rng)
    one, batched = dbs

    told_one, opened_one = await _one_at_a_time(one, work_orders.open_work_orders, history)
    told_batched, opened_batched = await _in_batches(batched, work_orders.open_work_orders, history, rng)

    expected = await _state(one)
    assert await _state(batched) == expected
    assert _told(told_batched) == _told(told_one)
    assert len(opened_batched) == len(opened_one) == len(expected["work_orders"])
    # The history is worth comparing: copies, majors, every plaza's own rules.
    assert len({(e.plaza_id, e.request_id) for e in history}) < len(history)
    assert any(isinstance(e, WorkOrderEscalated) for e in told_one)
    assert {wo[2] for wo in expected["work_orders"]} >= {"lift_vendor", "elevator_co"}


async def test_one_batch_holding_copies_several_plazas_and_a_major_complaint(dbs):
    _, db = dbs
    lift = _at("p1", "the lift is stuck")
    complaint = msgspec.structs.replace(_at("p3", "保安打人，我要投诉", kind="complaint"), major=True)
    batch = [
        lift, _at("p2", "the lift is stuck"), msgspec.structs.replace(lift, id=new_event_id(), actor="clerk-wang"),
        _at("p3", "the lift is stuck"), complaint, _at("p2", "the drain is blocked"),
    ]
    told, opened = await _in_tx(db, work_orders.open_work_orders, batch)

    assert len(opened) == 5
    created = [e for e in told if isinstance(e, WorkOrderCreated)]
    assert [(e.plaza_id, e.department) for e in created] == [
        ("p1", "lift_vendor"), ("p2", "elevator_co"), ("p3", "engineering"), ("p3", "security"), ("p2", "engineering"),
    ]
    assert (created[0].causation_id, created[0].actor) == (lift.id, "clerk-li")  # the first copy opened it
    p2_drain, p3_lift = created[4], created[2]
    assert p2_drain.respond_due_at == T0 + dt.timedelta(minutes=45)  # p2's own policy, on the wall clock
    assert p3_lift.respond_due_at == T0 + dt.timedelta(minutes=30)  # the default, in business hours
    escalated = [e for e in told if isinstance(e, WorkOrderEscalated)]
    assert [(e.request_id, e.level, e.reason) for e in escalated] == [(complaint.request_id, "manager", "major complaint")]
    assert told.index(escalated[0]) == told.index(created[3]) + 1  # told right after its work order
    assert len((await _state(db))["escalations"]) == 1

    again, reopened = await _in_tx(db, work_orders.open_work_orders, [msgspec.structs.replace(e, id=new_event_id()) for e in batch])
    assert (again, reopened) == ([], [])


def _at(plaza: str, text: str, *, kind: str = "service") -> RequestReceived:
    request_id = new_event_id()
    return RequestReceived(
        plaza_id=plaza, correlation_id=request_id, actor="clerk-li", request_id=request_id,
        unit="A-1", channel="phone", kind=kind, text=text,
    )


# --- handover inspections ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(2))
async def test_inspections_in_batches_open_what_one_at_a_time_opens(dbs, seed):
    rng = random.Random(seed)
    history = []
    for i in range(8):
        defects = [
            Defect(defect_id=new_event_id(), description=rng.choice(TEXTS), responsible_party=f"contractor {i}",
                   department=rng.choice(["engineering", "plumbing", "bad.department"]))
            for _ in range(rng.randint(0, 3))
        ]
        event = HandoverInspected(plaza_id=rng.choice(["p1", "p2"]), correlation_id=new_event_id(), actor="inspector",
                                  unit=f"B-{i}", inspection_id=new_event_id(), accepted=not defects, defects=defects)
        history += [event] + [msgspec.structs.replace(event, id=new_event_id()) for _ in range(rng.choice([0, 1]))]
    rng.shuffle(history)
    one, batched = dbs

    told_one, _ = await _one_at_a_time(one, work_orders.open_warranty_work_orders, history)
    told_batched, _ = await _in_batches(batched, work_orders.open_warranty_work_orders, history, rng)

    expected = await _state(one)
    assert await _state(batched) == expected and expected["work_orders"]
    assert _told(told_batched) == _told(told_one)
    assert len(told_one) == len({d.defect_id for e in history for d in e.defects})


# --- return visits -----------------------------------------------------------------------


async def _closed_jobs(dbs, n: int) -> list[dict]:
    """The same jobs in both databases, most closed, some already reopened once."""
    rows = []
    for i in range(n):
        row = work_orders_domain.new_work_order(f"p{i % 3 + 1}", new_event_id(), f"A-{i}", "engineering", "service", "leak", T0,
                                       priority="normal")
        closed = i % 4 != 3
        rows.append({**row, "status": "closed" if closed else "in_progress", "assignee": "zhang",
                     "reopen_count": 1 if i % 4 == 1 else 0, "closed_at": T0 - dt.timedelta(hours=1) if closed else None})
    for db in dbs:
        async with db.write() as conn:
            await store.add_work_orders(conn, rows)
    return rows


def _visit(job: dict, rating: str, comment: str | None = None) -> VisitCompleted:
    return VisitCompleted(
        plaza_id=job["plaza_id"], correlation_id=job["request_id"], actor="survey", visit_id=new_event_id(),
        work_order_id=job["id"], unit=job["unit"], department=job["department"], rating=rating, comment=comment,
    )


def _visits(rng: random.Random, jobs: list[dict]) -> list[VisitCompleted]:
    """Random visits, some re-sent under new event ids, shuffled; among them, in this order:
    an unsatisfied visit of the first (closed) job, its copy, a second unsatisfied visit of
    it, a satisfied one, and an unsatisfied visit of the second job (already reopened once)."""
    events = []
    for _ in range(20):
        event = _visit(rng.choice(jobs), rng.choice(["unsatisfied", "unsatisfied", "satisfied", "basically_satisfied"]),
                       rng.choice([None, "still leaking"]))
        events += [event] + [msgspec.structs.replace(event, id=new_event_id()) for _ in range(rng.choice([0, 0, 1]))]
    rng.shuffle(events)
    first = _visit(jobs[0], "unsatisfied", "still blocked")
    fixed = [first, msgspec.structs.replace(first, id=new_event_id()), _visit(jobs[0], "unsatisfied"),
             _visit(jobs[0], "satisfied"), _visit(jobs[1], "unsatisfied")]
    for position, event in zip(sorted(rng.sample(range(len(events) + len(fixed)), len(fixed))), fixed):
        events.insert(position, event)
    return events


@pytest.mark.parametrize("seed", range(4))
async def test_return_visits_in_batches_leave_what_one_at_a_time_leaves(dbs, seed):
    rng = random.Random(seed)
    history = _visits(rng, await _closed_jobs(dbs, 8))
    one, batched = dbs

    told_one, outcomes_one = await _one_at_a_time(one, work_orders.record_return_visits, history)
    told_batched, outcomes_batched = await _in_batches(batched, work_orders.record_return_visits, history, rng)

    assert outcomes_batched == outcomes_one
    assert set(outcomes_one) == {"reopened", "ignored", "rated", "duplicate"}
    expected = await _state(one)
    assert await _state(batched) == expected
    assert _told(told_batched) == _told(told_one)
    assert any(isinstance(e, WorkOrderEscalated) for e in told_one)


async def test_two_unsatisfied_visits_of_one_job_in_a_batch_reopen_it_once(dbs):
    _, db = dbs
    [job] = await _closed_jobs([db], 1)
    first, second = _visit(job, "unsatisfied"), _visit(job, "unsatisfied")
    batch = [first, msgspec.structs.replace(first, id=new_event_id()), second]

    told, outcomes = await _in_tx(db, work_orders.record_return_visits, batch)

    assert outcomes == ["reopened", "duplicate", "ignored"]
    assert [type(e) for e in told] == [WorkOrderReopened]
    [wo] = (await _state(db))["work_orders"]
    assert (wo[8], wo[9], wo[10], wo[11]) == ("assigned", 1, "unsatisfied", None)


async def test_a_visit_of_an_unknown_job_fails_the_batch_so_it_is_isolated(dbs):
    _, db = dbs
    [job] = await _closed_jobs([db], 1)
    good = _visit(job, "unsatisfied")
    lost = msgspec.structs.replace(good, id=new_event_id(), visit_id=new_event_id(), work_order_id="no-such-job")
    with pytest.raises(NotFound):
        await _in_tx(db, work_orders.record_return_visits, [good, lost])
    assert (await _state(db))["visits"] == []  # nothing of the batch stays


# --- the running service: a backlog arrives as one batch ---------------------------------


@pytest.fixture
async def settings(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "intake", "survey", "staff", "notices")
    return service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path, schemas=cleanup_schemas)


async def _set_up_plazas(client, bus) -> None:
    for plaza in ("p1", "p2"):
        await register(bus, plaza, "A-1")
    for plaza, rules in (("p1", P1_RULES), ("p2", P2_RULES)):
        async def replaced(plaza=plaza, rules=rules):
            r = await client.put(f"/v1/plazas/{plaza}/routing-rules", json={"rules": rules})
            return r.status_code == 200

        await eventually(replaced, what=f"dispatch to learn plaza {plaza}")
    assert (await client.put("/v1/plazas/p2/sla-policy", json=P2_POLICY)).status_code == 200


async def _caught_up(bus, stream: str, durable: str) -> None:
    await eventually(lambda: bus.caught_up(stream, durable), what=f"{durable} to catch up with {stream}")


async def _dispatch_events(bus) -> list:
    return [DECODERS["dispatch"].decode(m.data) for m in await bus.messages("DISPATCH")]


async def test_a_backlog_waiting_before_dispatch_starts_is_applied_like_one_at_a_time(settings, bus):
    async with client_for(create_app(settings)) as client:
        await _set_up_plazas(client, bus)

    lift1, lift2 = _at("p1", "the lift is stuck"), _at("p2", "the lift is stuck")
    complaint = msgspec.structs.replace(_at("p1", "保安打人，我要投诉", kind="complaint"), major=True)
    backlog = [lift1, lift2, msgspec.structs.replace(lift1, id=new_event_id()), complaint, _at("p2", "the drain is blocked")]
    for event in backlog:
        await bus.publish(event)

    async with client_for(create_app(settings)) as client:
        await _caught_up(bus, "INTAKE", "dispatch-request-received")

        async def shown(event):
            items = (await client.get(f"/v1/plazas/{event.plaza_id}/work-orders", params={"request_id": event.request_id})).json()["items"]
            assert len(items) == 1, items
            return (await client.get(f"/v1/plazas/{event.plaza_id}/work-orders/{items[0]['id']}")).json()

        assert (await shown(lift1))["department"] == "lift_vendor"
        assert (await shown(lift2))["department"] == "elevator_co"
        assert (await shown(backlog[4]))["department"] == "engineering"
        major = await shown(complaint)
        assert [(e["level"], e["reason"]) for e in major["escalations"]] == [("manager", "major complaint")]

        async def announced():
            found = await _dispatch_events(bus)
            return found if len(found) >= 5 else None

        found = await eventually(announced, what="four work orders and one escalation on DISPATCH")
        await _caught_up(bus, "INTAKE", "dispatch-request-received")
    created = [e for e in found if isinstance(e, WorkOrderCreated)]
    assert sorted((e.plaza_id, e.request_id) for e in created) == sorted(
        (e.plaza_id, e.request_id) for e in (lift1, lift2, complaint, backlog[4])
    )
    assert next(e for e in created if e.request_id == lift1.request_id).causation_id == lift1.id
    drain_created = next(e for e in created if e.request_id == backlog[4].request_id)
    assert drain_created.respond_due_at - drain_created.occurred_at == dt.timedelta(minutes=45)
    assert [(e.request_id, e.level) for e in found if isinstance(e, WorkOrderEscalated)] == [(complaint.request_id, "manager")]


async def test_a_visit_of_an_unknown_job_in_a_backlog_is_dead_lettered_alone(settings, bus):
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", "A-1", known_by="dispatch")
        jobs = []
        for text in ("the drain is blocked", "the light is off"):
            event = _at("p1", text)
            await bus.publish(event)

            async def listed(event=event):
                items = (await client.get("/v1/plazas/p1/work-orders", params={"request_id": event.request_id})).json()["items"]
                return items[0] if items else None

            wo = await eventually(listed, what="the work order")
            await assign(client, bus, wo, "zhang")
            for action, body in (("start", {}), ("resolve", {"paid": False}), ("close", {})):
                r = await client.post(f"/v1/plazas/p1/work-orders/{wo['id']}/{action}", json=body)
                assert r.status_code == 200, r.text
            jobs.append(wo)

    unsatisfied = _visit(jobs[0], "unsatisfied", "still blocked")
    lost = msgspec.structs.replace(_visit(jobs[0], "unsatisfied"), work_order_id="no-such-job")
    backlog = [unsatisfied, lost, msgspec.structs.replace(unsatisfied, id=new_event_id()),
               _visit(jobs[0], "unsatisfied"), _visit(jobs[1], "satisfied")]
    for event in backlog:
        await bus.publish(event)

    async with client_for(create_app(settings)) as client:
        await _caught_up(bus, "SURVEY", "dispatch-visit-completed")
        first = (await client.get(f"/v1/plazas/p1/work-orders/{jobs[0]['id']}")).json()
        second = (await client.get(f"/v1/plazas/p1/work-orders/{jobs[1]['id']}")).json()

        async def reopenings():
            return [e for e in await _dispatch_events(bus) if isinstance(e, WorkOrderReopened)]

        reopened = await eventually(reopenings, what="the reopening on DISPATCH")
    assert (first["status"], first["reopen_count"], first["last_rating"]) == ("assigned", 1, "unsatisfied")
    assert (second["status"], second["last_rating"]) == ("closed", "satisfied")
    assert [(e.visit_id, e.reason) for e in reopened] == [(unsatisfied.visit_id, "still blocked")]

    dead = await bus.messages(DEAD_LETTER_STREAM)
    assert [DECODERS["survey"].decode(m.data).id for m in dead] == [lost.id]
    assert "no-such-job" in dead[0].headers["PlazaDesk-Reason"]
