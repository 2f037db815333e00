"""The monthly key-account plan run, called as a use case with a chosen clock, against a real
database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt

import pytest

from libs.contracts.events import Occupant, PlazaRegistered, UnitRegistered
from libs.runtime.db import Database
from libs.runtime.uow import Tx
from tests.support.harness import service_database
from services.survey import facts, tables
from services.survey.plans import services as plans
from services.survey.plans import store

UTC = dt.timezone.utc


@pytest.fixture
async def db(db_kind, tmp_path, cleanup_schemas):
    async with service_database(db_kind, tmp_path, cleanup_schemas, "survey", tables.metadata) as database:
        yield database


async def run(db: Database, use_case, *args):
    async with db.write() as conn:
        return await use_case(Tx(conn, tables.outbox, tables.inbox), *args)


def unit(plaza: str, name: str, key_account: bool) -> UnitRegistered:
    return UnitRegistered(plaza_id=plaza, correlation_id="seed", unit=name, revision=1, area_m2=50.0, use="shop",
                          occupant=Occupant(name="x", kind="merchant"), key_account=key_account)


async def test_each_plaza_with_key_accounts_gets_one_draft_plan_per_month_in_its_own_time_zone(db):
    await run(db, facts.record_archive_facts, [
        PlazaRegistered(plaza_id="sh", correlation_id="s", name="Shanghai"),
        PlazaRegistered(plaza_id="ldn", correlation_id="s", name="London", timezone="Europe/London"),
        PlazaRegistered(plaza_id="none", correlation_id="s", name="No key accounts"),
    ])
    for event in (unit("sh", "A-1", True), unit("sh", "A-2", False), unit("ldn", "L-1", True), unit("none", "N-1", False)):
        await run(db, facts.record_archive_facts, [event])

    late_november = dt.datetime(2026, 11, 30, 17, tzinfo=UTC)  # already 1 December in Shanghai
    made = await run(db, plans.generate_due_plans, late_november)
    assert len(made) == 2
    assert await run(db, plans.generate_due_plans, late_november) == []  # a rerun adds nothing

    async with db.read() as conn:
        [sh] = await store.list_plans(conn, "sh", month=None, after=None, limit=10)
        [ldn] = await store.list_plans(conn, "ldn", month=None, after=None, limit=10)
        assert await store.list_plans(conn, "none", month=None, after=None, limit=10) == []
        assert [i["unit"] for i in await store.plan_items(conn, "sh", sh["id"])] == ["A-1"]
    assert (sh["month"], sh["status"], ldn["month"]) == ("2026-12", "draft", "2026-11")
