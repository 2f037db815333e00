"""Billing's set-based consumers: a batch of closings must leave exactly what posting them
one at a time leaves (each line charged once, each new charge announced once), on SQLite
and PostgreSQL, and a bad closing inside a batch is dead-lettered alone."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from zoneinfo import ZoneInfo

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts import new_event_id
from libs.contracts.events import (
    ChargePosted,
    PlazaRegistered,
    WorkOrderCancelled,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
    decode,
)
from libs.runtime.uow import Tx
from tests.support.harness import client_for, eventually, fresh_database, make_tables, register_plazas, service_database, service_settings
from services.billing import facts, handlers, tables
from services.billing.app import create_app
from services.billing.dunning import services as dunning
from services.billing.ledger import services as ledger
from services.billing.ledger import store
from services.billing.settings import Settings
from services.billing.tables import complaints
from tests.support.archive_facts import plaza_registered, register
from tests.support.archive_facts import unit_registered as registered_unit
from tests.integration.billing.test_billing_ledger import closed, line, unit_registered

P = "/v1/plazas/p1"


# --- use cases against the database: a batch equals one at a time -----------------------

@pytest.fixture
async def db(db_kind, tmp_path, cleanup_schemas):
    async with service_database(db_kind, tmp_path, cleanup_schemas, "billing", tables.metadata) as database:
        yield database


async def _in_tx(db, use_case, *args) -> list:
    async with db.write() as conn:
        tx = Tx(conn, tables.outbox, tables.inbox)
        await use_case(tx, *args)
    return tx.emitted


def _history(rng: random.Random, plaza_id: str) -> list[WorkOrderClosed]:
    """Closings of a few work orders, each reopened closing carrying every line so far, some
    unpaid, some re-sent under a new event id, shuffled; lines may be free or repeated."""
    events = []
    for w in range(4):
        lines = [line(f"wo{w}:l{i}", rng.choice([0, rng.randint(1, 90_000)])) for i in range(rng.randint(1, 4))]
        for count in range(1, len(lines) + 1):
            sent = lines[:count] + rng.choice([[], lines[:1]])
            event = closed(sent, work_order_id=f"wo{w}", unit=f"U-{w % 2}", reopen_count=count - 1,
                           paid=rng.random() > 0.2)
            event = msgspec.structs.replace(event, plaza_id=plaza_id)
            events += [event] + [msgspec.structs.replace(event, id=new_event_id()) for _ in range(rng.randint(0, 2))]
    rng.shuffle(events)
    return events


async def _ledger(db, plaza_id: str) -> list[tuple]:
    async with db.read() as conn:
        rows = await store.plaza_entries(conn, plaza_id)
    return sorted((r.unit, r.kind, r.amount_fen, r.line_id, r.work_order_id, r.causation_id, r.due_date,
                   r.description, r.source) for r in rows)


def _announced(events: list) -> list[tuple]:
    return [(e.unit, e.line_id, e.amount_fen, e.work_order_id, e.causation_id, e.correlation_id) for e in events]


@pytest.mark.parametrize("seed", range(6))
async def test_closings_posted_in_batches_leave_what_one_at_a_time_leaves(db, seed):
    rng = random.Random(seed)
    history = _history(rng, "one-by-one")
    # The same events (same ids) in another plaza, applied in batches of random sizes.
    batched = [msgspec.structs.replace(e, plaza_id="batched") for e in history]

    one_by_one = []
    for event in history:
        one_by_one += await _in_tx(db, ledger.post_charges, event)
    in_batches, start = [], 0
    while start < len(batched):
        size = rng.randint(1, 12)
        in_batches += await _in_tx(db, ledger.post_charges_many, batched[start:start + size])
        start += size

    expected = await _ledger(db, "one-by-one")
    assert expected, "the history charges something"
    assert await _ledger(db, "batched") == expected
    assert _announced(in_batches) == _announced(one_by_one)
    # Each charge is announced once, with the entry it made.
    assert len(in_batches) == len(expected)
    async with db.read() as conn:
        ids = {r.id for r in await store.plaza_entries(conn, "batched")}
    assert {e.entry_id for e in in_batches} == ids


async def test_a_batch_already_posted_posts_and_announces_nothing(db):
    batch = [closed([line("l1", 5000), line("l2", 1200)]), closed([line("l1", 5000), line("l2", 1200), line("l3", 800)])]
    first = await _in_tx(db, ledger.post_charges_many, batch)
    again = await _in_tx(db, ledger.post_charges_many, [msgspec.structs.replace(e, id=new_event_id()) for e in batch])
    assert [e.line_id for e in first] == ["l1", "l2", "l3"] and again == []
    assert sorted(r[3] for r in await _ledger(db, "p1")) == ["l1", "l2", "l3"]


async def _complaint_rows(db) -> set[tuple]:
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(complaints))).all()
    return {(r.work_order_id, r.unit, r.status) for r in rows}


def _job(cls, unit: str, work_order_id: str, reopen_count: int = 0, kind: str | None = "complaint"):
    """A work-order event as dispatch emits it: it says the job's kind (None from an
    older producer, an ordinary job)."""
    extra = {WorkOrderCreated: {"text": "nobody answers"}, WorkOrderClosed: {"paid": False},
             WorkOrderReopened: {"reason": "unsatisfied"}, WorkOrderCancelled: {"reason": "withdrawn"}}[cls]
    if cls is WorkOrderCreated:
        kind = kind or "service"
    return cls(plaza_id="p1", correlation_id="c", work_order_id=work_order_id, request_id="rq", unit=unit,
               department="cs", reopen_count=reopen_count, kind=kind, **extra)


async def test_complaints_opened_and_closed_in_batches_end_as_one_at_a_time(db):
    await _in_tx(db, facts.record_archive_facts,
                 [plaza_registered("p1"), *(registered_unit("p1", u) for u in ("A-1", "B-2", "B-9", "C-3", "D-4"))])
    await _in_tx(db, handlers.on_work_orders_created, [_job(WorkOrderCreated, "A-1", "wo-open-then-closed")])
    await _in_tx(db, handlers.on_work_orders_closed, [
        _job(WorkOrderClosed, "A-1", "wo-open-then-closed"),
        _job(WorkOrderClosed, "B-2", "wo-closed-first"),  # the close overtook its create
        _job(WorkOrderClosed, "B-9", "wo-closed-first"),  # re-sent: the first one's unit stays
        _job(WorkOrderClosed, "D-4", "wo-ordinary", kind=None),  # from an older producer: an ordinary job
    ])
    await _in_tx(db, handlers.on_work_orders_created, [
        _job(WorkOrderCreated, "B-2", "wo-closed-first"),  # a late create cannot reopen it
        _job(WorkOrderCreated, "C-3", "wo-still-open"),
        _job(WorkOrderCreated, "C-3", "wo-still-open"),
        _job(WorkOrderCreated, "D-4", "wo-service", kind="service"),
    ])
    assert await _complaint_rows(db) == {
        ("wo-open-then-closed", "A-1", "closed"), ("wo-closed-first", "B-2", "closed"), ("wo-still-open", "C-3", "open")}
    assert await _held(db) == {"C-3"}

    # Unsatisfied return visits reopen both answered complaints (the one whose create came
    # late too): held again; late copies of their first closings do not release them. A
    # reopened ordinary job holds nothing.
    await _in_tx(db, handlers.on_work_orders_reopened, [
        _job(WorkOrderReopened, "A-1", "wo-open-then-closed", 1), _job(WorkOrderReopened, "B-2", "wo-closed-first", 1),
        _job(WorkOrderReopened, "D-4", "wo-ordinary", 1, kind=None),
        _job(WorkOrderReopened, "D-4", "wo-service", 1, kind="service"),
    ])
    await _in_tx(db, handlers.on_work_orders_closed, [
        _job(WorkOrderClosed, "A-1", "wo-open-then-closed"), _job(WorkOrderClosed, "B-2", "wo-closed-first")])
    await _in_tx(db, handlers.on_work_orders_created, [_job(WorkOrderCreated, "A-1", "wo-open-then-closed")])
    assert await _held(db) == {"A-1", "B-2", "C-3"}
    await _in_tx(db, handlers.on_work_orders_closed, [
        _job(WorkOrderClosed, "A-1", "wo-open-then-closed", 1), _job(WorkOrderClosed, "A-1", "wo-open-then-closed", 1)])
    assert await _held(db) == {"B-2", "C-3"}
    await _in_tx(db, handlers.on_work_order_cancelled, _job(WorkOrderCancelled, "C-3", "wo-still-open"))
    assert await _held(db) == {"B-2"}


async def _held(db, plaza_id: str = "p1") -> set[str]:
    async with db.read() as conn:
        return await dunning.held_units(conn, plaza_id)


def _work_order_history(rng: random.Random, plaza_id: str) -> tuple[list, set[str]]:
    """Created, closed, reopened and cancelled events of a few work orders (complaints and
    ordinary jobs) as dispatch emits them, each life stopped somewhere, some events re-sent
    under a new id, shuffled; and the units to hold: those of a complaint left open."""
    events, held = [], set()
    for w in range(8):
        kind = rng.choice(["complaint", "complaint", "service"])
        common = dict(plaza_id=plaza_id, correlation_id="c", work_order_id=f"wo{w}", request_id="rq",
                      unit=f"U-{w % 4}", department="cs", kind=kind)
        life: list = [WorkOrderCreated(**common, text="the lift again")]
        for n in range(rng.randint(1, 3)):
            life.append(WorkOrderClosed(**common, reopen_count=n, paid=False))
            life.append(WorkOrderReopened(**common, reopen_count=n + 1, reason="unsatisfied"))
        life = life[:rng.randint(1, len(life))]
        if not isinstance(life[-1], WorkOrderClosed) and rng.random() < 0.3:
            life.append(WorkOrderCancelled(**common, reopen_count=life[-1].reopen_count, reason="withdrawn"))
        if kind == "complaint" and isinstance(life[-1], (WorkOrderCreated, WorkOrderReopened)):
            held.add(common["unit"])
        for event in life:
            events += [event] + [msgspec.structs.replace(event, id=new_event_id()) for _ in range(rng.randint(0, 1))]
    rng.shuffle(events)
    return events, held


_BATCH_HANDLERS = {WorkOrderCreated: handlers.on_work_orders_created, WorkOrderClosed: handlers.on_work_orders_closed,
                   WorkOrderReopened: handlers.on_work_orders_reopened}


async def _deliver(db, events: list) -> None:
    """What billing's consumers do with these events: each kind to its own consumer, in
    batches (cancellations one at a time)."""
    for cls, handler in _BATCH_HANDLERS.items():
        if batch := [e for e in events if type(e) is cls]:
            await _in_tx(db, handler, batch)
    for event in events:
        if isinstance(event, WorkOrderCancelled):
            await _in_tx(db, handlers.on_work_order_cancelled, event)


async def _complaint_steps(db, plaza_id: str) -> set[tuple]:
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(complaints).where(complaints.c.plaza_id == plaza_id))).all()
    return {(r.work_order_id, r.unit, r.status, r.step, r.complaint) for r in rows}


@pytest.mark.parametrize("seed", range(6))
async def test_complaints_reopened_and_closed_in_any_order_and_batch_hold_what_one_at_a_time_holds(db, seed):
    rng = random.Random(seed)
    history, expected = _work_order_history(rng, "one-by-one")
    batched = [msgspec.structs.replace(e, plaza_id="batched") for e in history]
    for plaza in ("one-by-one", "batched"):  # archive's facts, which the consumers check first
        await _in_tx(db, facts.record_archive_facts,
                     [plaza_registered(plaza), *(registered_unit(plaza, f"U-{u}") for u in range(4))])

    for event in history:
        await _deliver(db, [event])
    start = 0
    while start < len(batched):
        size = rng.randint(1, 12)
        await _deliver(db, batched[start:start + size])
        start += size

    assert await _held(db, "one-by-one") == expected
    assert await _held(db, "batched") == expected
    assert await _complaint_steps(db, "batched") == await _complaint_steps(db, "one-by-one")


async def test_complaints_kept_by_an_older_release_still_hold_and_can_be_reopened(
    db_kind, tmp_path, cleanup_schemas,
):
    database = fresh_database(db_kind, tmp_path, cleanup_schemas, "billing")
    try:
        # The tables as the release before steps and time zones left them.
        before = sa.MetaData()
        old_complaints = sa.Table(
            "complaints", before, sa.Column("plaza_id", sa.String(64), primary_key=True),
            sa.Column("work_order_id", sa.String(40), primary_key=True),
            sa.Column("unit", sa.String(64), nullable=False), sa.Column("status", sa.String(8), nullable=False))
        old_plazas = sa.Table("plazas", before, sa.Column("plaza_id", sa.String(64), primary_key=True),
                              sa.Column("name", sa.String(200), nullable=False))
        await database.create_all(before)
        async with database.write() as conn:
            await conn.execute(old_complaints.insert(), [
                {"plaza_id": "p1", "work_order_id": "wo-open", "unit": "A-1", "status": "open"},
                {"plaza_id": "p1", "work_order_id": "wo-closed", "unit": "B-2", "status": "closed"}])
            await conn.execute(old_plazas.insert(), [{"plaza_id": "p1", "name": "Plaza One"}])

        await make_tables(database, tables.metadata)  # the migration step adopts that data
        await _in_tx(database, facts.record_archive_facts, [registered_unit("p1", "A-1")])
        async with database.write() as conn:  # the release before kept ordinary jobs too
            await conn.execute(complaints.insert(), [{"plaza_id": "p1", "work_order_id": "wo-reopened-job",
                                                      "unit": "C-3", "status": "open", "step": 2, "complaint": False}])

        assert await _held(database) == {"A-1"}
        await _in_tx(database, handlers.on_work_orders_closed, [_job(WorkOrderClosed, "A-1", "wo-open")])
        assert await _held(database) == set()
        await _in_tx(database, handlers.on_work_orders_reopened, [_job(WorkOrderReopened, "A-1", "wo-open", 1)])
        assert await _held(database) == {"A-1"}
        async with database.read() as conn:
            assert await facts.plaza_zone(conn, "p1") == ZoneInfo("Asia/Shanghai")
    finally:
        await database.dispose()


# --- through the bus: a backlog waiting when billing starts arrives as batches ------------

@pytest.fixture
async def backlog_billing(bus, nats_server, db_kind, tmp_path, cleanup_schemas, monkeypatch):
    """Start billing after the test has published its backlog; records the batch sizes the
    closed consumer was handed."""
    await bus.declare_streams("archive", "dispatch", "intake")
    await register_plazas(bus, "p1")  # taken when billing starts
    batches: list[int] = []
    post_many = ledger.post_charges_many

    async def recording(tx, events):
        batches.append(len(events))
        return await post_many(tx, events)

    monkeypatch.setattr(ledger, "post_charges_many", recording)
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with client_for(create_app(settings)):  # billing learns archive's facts, then is down
        await register(bus, "p1", "A-203", "B-7", "Z-1", known_by="billing")

    async def start():
        return client_for(create_app(settings))

    yield start, batches


async def _settled(bus, durable: str, messages: int) -> bool:
    """The consumer has had (at least) this many messages and acknowledged all it had."""
    info = await bus.js.consumer_info("DISPATCH", durable)
    return info.delivered.consumer_seq >= messages and info.num_pending == 0 and info.num_ack_pending == 0


async def _all_announced(bus, client, sentinel_unit: str = "Z-1") -> list[ChargePosted]:
    """Every ChargePosted billing will ever publish for what it has applied: a later charge
    is relayed after all earlier ones, so once it is on the stream nothing earlier is missing."""
    sentinel = closed([line(f"sentinel-{uuid.uuid4().hex}", 1)], work_order_id="wo-sentinel", unit=sentinel_unit)
    await bus.publish(sentinel)

    async def relayed():
        found = [e for e in (decode(m.data, "billing") for m in await bus.messages("BILLING"))
                 if isinstance(e, ChargePosted)]
        return found if any(e.causation_id == sentinel.id for e in found) else None

    found = await eventually(relayed, what="the sentinel's ChargePosted")
    return [e for e in found if e.causation_id != sentinel.id]


async def _entries(client, unit: str) -> list[dict]:
    r = await client.get(f"{P}/accounts/{unit}")
    assert r.status_code == 200, r.text
    return r.json()["entries"]


async def test_a_backlog_of_closings_charges_each_line_once_and_announces_it_once(backlog_billing, bus):
    start, batches = backlog_billing
    first = closed([line("wo-1:labour", 5000), line("wo-1:pipe", 1200)])
    resent = msgspec.structs.replace(first, id=new_event_id())  # the same close under a new event id
    reopened = closed([line("wo-1:labour", 5000), line("wo-1:pipe", 1200), line("wo-1:valve", 800)], reopen_count=1)
    other = closed([line("wo-2:labour", 3000)], work_order_id="wo-2", unit="B-7")
    unpaid = closed([line("wo-3:labour", 9000)], work_order_id="wo-3", paid=False)
    await bus.publish(unit_registered("A-203", revision=1))
    for event in (first, resent, reopened, other, unpaid):
        await bus.publish(event)
    await bus.publish(first, msg_id=uuid.uuid4().hex)  # redelivered past JetStream's dedup

    async with await start() as client:
        await eventually(lambda: _settled(bus, "billing-work-order-closed", 6), what="billing to take the backlog")
        announced = await _all_announced(bus, client)
        a203, b7 = await _entries(client, "A-203"), await _entries(client, "B-7")

    assert max(batches) > 1, batches  # the backlog really came as a batch
    assert sorted((e["line_id"], e["amount_fen"], e["work_order_id"]) for e in a203) == [
        ("wo-1:labour", 5000, "wo-1"), ("wo-1:pipe", 1200, "wo-1"), ("wo-1:valve", 800, "wo-1")]
    assert [(e["line_id"], e["amount_fen"]) for e in b7] == [("wo-2:labour", 3000)]
    # One ChargePosted per entry, from the closing that first carried the line.
    assert sorted((e.line_id, e.causation_id, e.entry_id) for e in announced) == sorted(
        [("wo-1:labour", first.id, _id(a203, "wo-1:labour")), ("wo-1:pipe", first.id, _id(a203, "wo-1:pipe")),
         ("wo-1:valve", reopened.id, _id(a203, "wo-1:valve")), ("wo-2:labour", other.id, b7[0]["id"])])


def _id(entries: list[dict], line_id: str) -> str:
    return next(e["id"] for e in entries if e["line_id"] == line_id)


async def test_a_bad_closing_in_a_backlog_is_dead_lettered_alone(backlog_billing, bus):
    start, batches = backlog_billing
    first = closed([line("wo-1:labour", 5000)])
    bad = closed([line("wo-bad:ok", 100), line("wo-bad:minus", -100)], work_order_id="wo-bad")
    reopened = closed([line("wo-1:labour", 5000), line("wo-1:pipe", 1200)], reopen_count=1)
    resent = msgspec.structs.replace(reopened, id=new_event_id())
    for event in (first, bad, reopened, resent):
        await bus.publish(event)

    async with await start() as client:
        parked = await eventually(lambda: bus.messages("DEADLETTER", "plazadesk.deadletter.billing.>"),
                                  what="the bad closing's dead letter")
        await eventually(lambda: _settled(bus, "billing-work-order-closed", 4), what="billing to take the backlog")
        announced = await _all_announced(bus, client)
        entries = await _entries(client, "A-203")
        parked = await bus.messages("DEADLETTER", "plazadesk.deadletter.billing.>")

    assert max(batches) > 1, batches
    assert [msgspec.json.decode(m.data)["id"] for m in parked] == [bad.id]  # (no longer a valid event)
    assert "charge_lines[1]" in parked[0].headers["PlazaDesk-Reason"]  # wo-bad:minus
    assert sorted((e["line_id"], e["amount_fen"]) for e in entries) == [("wo-1:labour", 5000), ("wo-1:pipe", 1200)]
    assert sorted((e.line_id, e.causation_id) for e in announced) == [
        ("wo-1:labour", first.id), ("wo-1:pipe", reopened.id)]


async def test_a_backlog_of_complaints_holds_dunning_only_where_one_is_still_open(backlog_billing, bus):
    start, _ = backlog_billing

    def created(wo: str, unit: str) -> WorkOrderCreated:
        return WorkOrderCreated(plaza_id="p1", correlation_id="c", work_order_id=wo, request_id="rq", unit=unit,
                                department="cs", kind="complaint", text="nobody fixed the lift")

    for unit in ("A-203", "B-7"):
        await bus.publish(unit_registered(unit, revision=1))
    still_open, answered = created("wo-c1", "A-203"), created("wo-c2", "B-7")
    for event in (still_open, answered):
        await bus.publish(event)
    await bus.publish(answered, msg_id=uuid.uuid4().hex)
    await bus.publish(WorkOrderCreated(plaza_id="p1", correlation_id="c", work_order_id="wo-s", request_id="rq",
                                       unit="B-7", department="engineering", kind="service", text="a drain"))
    await bus.publish(closed([line("a1", 8000)], work_order_id="wo-a"))
    await bus.publish(closed([line("b1", 6000)], work_order_id="wo-b", unit="B-7"))
    await bus.publish(closed([], work_order_id="wo-c2", unit="B-7", paid=False, kind="complaint"))

    async with await start() as client:
        await eventually(lambda: _settled(bus, "billing-work-order-created", 4), what="the complaints")
        await eventually(lambda: _settled(bus, "billing-work-order-closed", 3), what="the closings")
        now = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=60)).isoformat()
        run = (await client.post(f"{P}/dunning-runs", json={"now": now})).json()

    assert (run["reminders"], run["held_units"]) == (1, ["A-203"])


async def test_a_plazas_new_time_zone_counts_from_the_next_batch(db):
    """Billing keeps plazas' zones for a few seconds, but forgets one the moment it applies
    that plaza's PlazaRegistered: the next closing's due date is counted in the new zone."""
    def plaza(zone: str) -> PlazaRegistered:
        return PlazaRegistered(plaza_id="p1", correlation_id="c", name="Plaza One", timezone=zone)

    def closing(wo: str, at: dt.datetime) -> WorkOrderClosed:
        return closed([line(f"{wo}:1", 100)], work_order_id=wo, occurred_at=at)

    at = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)  # 11:00 on the 1st in Shanghai; 22:00 on Nov 30 in New York
    await _in_tx(db, facts.record_archive_facts, [plaza("Asia/Shanghai"), unit_registered("A-203", revision=1)])
    await _in_tx(db, ledger.post_charges_many, [closing("wo-1", at)])
    await _in_tx(db, facts.record_archive_facts, [plaza("America/New_York")])
    await _in_tx(db, ledger.post_charges_many, [closing("wo-2", at)])
    async with db.read() as conn:
        due = dict((await conn.execute(sa.select(tables.ledger.c.work_order_id, tables.ledger.c.due_date))).all())
    assert due == {"wo-1": dt.date(2026, 12, 16), "wo-2": dt.date(2026, 12, 15)}
