"""Archive's projections against the database, a batch at a time: a closing finds what
earlier batches kept, whether that is the defect (intake's handover came first) or the
warranty order (dispatch's stream ran ahead of intake's), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
import sqlalchemy as sa

from libs.contracts import new_event_id
from libs.contracts.events import Defect, HandoverInspected, WorkOrderClosed, WorkOrderCreated, WorkOrderReopened
from libs.runtime.db import Database
from libs.runtime.uow import Tx
from tests.support.harness import fresh_database, make_tables, service_database
from services.archive import tables as store
from services.archive.projections import services as services_projections
from services.archive.projections import store as projections
from services.archive.register import store as register_store

T0 = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def db(db_kind, tmp_path, cleanup_schemas):
    async with service_database(db_kind, tmp_path, cleanup_schemas, "archive", store.metadata) as database:
        yield database


def at(minutes: int) -> dict:
    return dict(plaza_id="p1", unit="C-0802", correlation_id="case-1", occurred_at=T0 + dt.timedelta(minutes=minutes))


def handover(minutes: int, *defect_ids: str) -> HandoverInspected:
    found = [Defect(defect_id=d, description=f"defect {d}", responsible_party="Huajian") for d in defect_ids]
    return HandoverInspected(**at(minutes), inspection_id=f"insp-{minutes}", accepted=True, defects=found)


def order(cls, request_id: str, minutes: int, **extra):
    common = dict(**at(minutes), work_order_id=f"wo-{request_id}", request_id=request_id, department="engineering")
    if cls is WorkOrderCreated:
        return cls(**common, kind="service", text="repair", warranty=True, responsible_party="Huajian")
    if cls is WorkOrderClosed:
        return cls(**common, paid=False, **extra)
    return cls(**common, reason="still leaking", **extra)


async def apply(db: Database, *batches: list) -> list[tuple[str, str]]:
    """Each batch in its own transaction, as the consumer applies them; then the defects
    still outstanding, with their work order."""
    for batch in batches:
        async with db.write() as conn:
            await services_projections.apply_events(Tx(conn, store.outbox, store.inbox), batch)
    async with db.read() as conn:
        return [(d["defect_id"], d["work_order_id"]) for d in await register_store.outstanding_defects(conn, "p1", "C-0802")]


async def test_closings_find_the_defects_and_warranty_orders_earlier_batches_kept(db):
    outstanding = await apply(
        db,
        [handover(0, "d1", "d2", "d3"), order(WorkOrderCreated, "d9", 1)],
        # d1, d2: known as defects only (their orders were never seen created); d9: known
        # as a warranty order only (its handover is not filed yet); req-1: neither.
        [order(WorkOrderClosed, "d1", 10), order(WorkOrderClosed, "d2", 11), order(WorkOrderClosed, "d9", 12),
         order(WorkOrderClosed, "req-1", 13)],
        [order(WorkOrderReopened, "d2", 20, reopen_count=1), handover(21, "d9")],
    )
    assert outstanding == [("d2", "wo-d2"), ("d3", None)]
    async with db.read() as conn:
        asked = {("p1", "d1"), ("p1", "d9"), ("p1", "req-1"), ("p2", "d1")}
        assert await projections.existing_defects_and_work(conn, asked, {("p1", "wo-d9"), ("p1", "wo-req-1")}) == (
            {("p1", "d1"), ("p1", "d9")}, {("p1", "wo-d9")})


async def test_a_timeline_kept_by_an_older_release_files_a_close_sent_again_once(db_kind, tmp_path, cleanup_schemas):
    """The timeline of a release before its facts had keys: this release adds the key and
    its index at start, and a close sent again under a new event id is filed once."""
    database = fresh_database(db_kind, tmp_path, cleanup_schemas, "archive")
    try:
        before = sa.MetaData()
        sa.Table(
            "timeline", before,
            *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
              for c in store.timeline.columns if c.name != "fact_key"),
        )
        await database.create_all(before)
        await make_tables(database, store.metadata)  # the migration step adopts that data

        close = order(WorkOrderClosed, "req-1", 10)
        for batch in ([close], [msgspec.structs.replace(close, id=new_event_id())], [close]):
            async with database.write() as conn:
                await services_projections.apply_events(Tx(conn, store.outbox, store.inbox), batch)
        async with database.read() as conn:
            filed = (await conn.execute(sa.select(store.timeline.c.event_id, store.timeline.c.fact_key))).all()
        assert filed == [(close.id, "WorkOrderClosed/wo-req-1/0")]
    finally:
        await database.dispose()
