"""The runtime's set-based write helpers on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.db import Database, insert_ignore_many
from tests.support.harness import database_settings, fresh_database


async def test_insert_ignore_many_reports_which_rows_were_new(db_kind, tmp_path, cleanup_schemas):
    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "probe")
    metadata = sa.MetaData()
    visits = sa.Table(
        "visits", metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("work_order_id", sa.String(40), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.UniqueConstraint("work_order_id", "round"),
    )
    await db.create_all(metadata)
    try:
        async with db.write() as conn:
            first = await insert_ignore_many(conn, visits, [
                {"id": "v1", "work_order_id": "wo-1", "round": 0},
                {"id": "v2", "work_order_id": "wo-2", "round": 0},
            ], ["work_order_id", "round"])
        async with db.write() as conn:
            second = await insert_ignore_many(conn, visits, [
                {"id": "v3", "work_order_id": "wo-1", "round": 0},  # already there under v1
                {"id": "v4", "work_order_id": "wo-1", "round": 1},
            ], ["work_order_id", "round"])
            assert await insert_ignore_many(conn, visits, [], ["id"]) == set()
        async with db.read() as conn:
            ids = (await conn.execute(sa.select(visits.c.id).order_by(visits.c.id))).scalars().all()
    finally:
        await db.dispose()
    assert first == {("wo-1", 0), ("wo-2", 0)}
    assert second == {("wo-1", 1)}
    assert ids == ["v1", "v2", "v4"]


async def test_a_replica_batch_keeps_the_newest_revision_whatever_the_order(db_kind, tmp_path, cleanup_schemas):
    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "replica")
    metadata = sa.MetaData()
    units = replica.units_table(metadata, sa.Column("occupant_name", sa.String(200)))
    await db.create_all(metadata)

    def unit(name: str, revision: int, occupant: str) -> dict:
        return {"plaza_id": "p1", "unit": name, "revision": revision, "occupant_name": occupant}

    try:
        async with db.write() as conn:  # revision 2 arrives before revision 1, in one batch
            await replica.upsert_newest_many(conn, units, ["plaza_id", "unit"], [
                unit("A-1", 2, "Wang (new tenant)"), unit("B-1", 1, "Zhao"), unit("A-1", 1, "Li (old tenant)"),
            ])
        async with db.write() as conn:
            await replica.upsert_newest_many(conn, units, ["plaza_id", "unit"], [
                unit("B-1", 2, "Zhao Tea House"), unit("A-1", 2, "Wang again, same revision"),
            ])
        async with db.read() as conn:
            rows = (await conn.execute(
                sa.select(units.c.unit, units.c.revision, units.c.occupant_name).order_by(units.c.unit)
            )).all()
    finally:
        await db.dispose()
    assert [tuple(r) for r in rows] == [("A-1", 2, "Wang (new tenant)"), ("B-1", 2, "Zhao Tea House")]


async def test_sqlite_keeps_times_as_sqlalchemy_stored_them_so_older_files_read_the_same(tmp_path):
    import datetime as dt

    from libs.runtime.db import UtcDateTime

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/times.db")
    metadata = sa.MetaData()
    times = sa.Table("times", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", UtcDateTime()))
    await db.create_all(metadata)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    try:
        async with db.write() as conn:
            await conn.execute(times.insert(), [{"id": 1, "at": dt.datetime(2026, 3, 3, 0, 0, tzinfo=shanghai)}])
            # as an older release (or a backfill in SQL) left them: without microseconds
            await conn.execute(sa.text("INSERT INTO times (id, at) VALUES (2, '2026-03-02 15:00:00'), (3, NULL)"))
        async with db.read() as conn:
            raw = (await conn.execute(sa.text("SELECT at FROM times WHERE id = 1"))).scalar_one()
            read = (await conn.execute(sa.select(times.c.at).order_by(times.c.id))).scalars().all()
            later = (await conn.execute(
                sa.select(times.c.id).where(times.c.at > dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.timezone.utc))
            )).scalars().all()
    finally:
        await db.dispose()
    assert raw == "2026-03-02 16:00:00.000000"  # UTC, SQLAlchemy's own text layout
    assert read == [dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.timezone.utc), None]
    assert later == [1]  # ranges still compare as text


async def test_sqlite_commits_wait_for_the_disk_except_the_relays_marks(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/sync.db")
    levels = []
    try:
        for write in (db.write, db.lax_write, db.write):
            async with write() as conn:
                levels.append((await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one())
    finally:
        await db.dispose()
    assert levels == [2, 1, 2]  # FULL, NORMAL for the marks only, FULL again


async def test_sqlite_wal_is_copied_back_by_the_background_checkpoint(tmp_path):
    from tests.support.harness import eventually

    path = tmp_path / "wal.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    metadata = sa.MetaData()
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.Text))
    await db.create_all(metadata)
    try:
        async with db.write() as conn:
            await conn.execute(notes.insert(), [{"id": i, "text": "x" * 1000} for i in range(2000)])
        assert path.stat().st_size < 1_000_000  # the rows are in the WAL, not yet in the file
        db.start_checkpoints(every_s=0.05)

        async def copied_back():
            return path.stat().st_size > 2_000_000

        await eventually(copied_back, what="the checkpoint to copy the WAL into the database file")
    finally:
        await db.dispose()


async def test_sqlite_wal_starts_over_under_a_steady_flow_of_writes(tmp_path):
    """The background checkpoint copies the log back while writes go on; the log must then
    start over from its beginning, not grow until the writer's own automatic checkpoint
    stalls a commit (it grew by every transaction before)."""
    import asyncio

    path = tmp_path / "steady.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    metadata = sa.MetaData()
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.Text))
    await db.create_all(metadata)
    db.start_checkpoints(every_s=0.1)
    try:
        for _ in range(1500):  # about 10 MB of log if it never started over
            async with db.write() as conn:
                await conn.execute(notes.insert(), [{"text": "x" * 1000} for _ in range(5)])
            await asyncio.sleep(0.001)
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size < 3_000_000, f"the log grew to {wal.stat().st_size} bytes"
    finally:
        await db.dispose()


async def test_an_older_releases_tables_gain_the_new_columns(db_kind, tmp_path, cleanup_schemas):
    """An upgrade on existing data: new columns are added to the service's own tables (in
    its schema on PostgreSQL), old rows get the column's default or NULL."""
    settings = database_settings(db_kind, tmp_path, "upgrade")
    if "database_schema" in settings:
        cleanup_schemas.append(settings["database_schema"])
    url, schema = settings["database_url"], settings.get("database_schema")
    old = sa.MetaData()
    old_units = sa.Table("units", old, sa.Column("id", sa.String(10), primary_key=True))
    db = Database(url, schema=schema)
    await db.create_all(old)
    async with db.write() as conn:
        await conn.execute(old_units.insert().values(id="A-1"))
    await db.dispose()

    new = sa.MetaData()
    units = sa.Table(
        "units", new,
        sa.Column("id", sa.String(10), primary_key=True),
        sa.Column("building", sa.String(10), nullable=True),
        sa.Column("key_account", sa.Boolean, nullable=False, default=False),
        sa.Column("floor", sa.Integer, nullable=True, info={"backfill": "1"}),
    )
    db = Database(url, schema=schema)
    try:
        await db.create_all(new)
        async with db.read() as conn:
            row = (await conn.execute(sa.select(units))).one()
    finally:
        await db.dispose()
    assert (row.id, row.building, row.key_account, row.floor) == ("A-1", None, False, 1)


async def test_an_older_releases_integer_column_takes_64_bit_values_after_the_upgrade(db_kind, tmp_path, cleanup_schemas):
    """A column a release widened from INTEGER to BIGINT (a survey campaign's seed) takes a
    value of 2**31 or more on the existing tables too."""
    settings = database_settings(db_kind, tmp_path, "widen")
    if "database_schema" in settings:
        cleanup_schemas.append(settings["database_schema"])
    url, schema = settings["database_url"], settings.get("database_schema")
    old = sa.MetaData()
    sa.Table("campaigns", old, sa.Column("id", sa.String(10), primary_key=True), sa.Column("seed", sa.Integer))
    db = Database(url, schema=schema)
    await db.create_all(old)
    await db.dispose()

    new = sa.MetaData()
    campaigns = sa.Table("campaigns", new, sa.Column("id", sa.String(10), primary_key=True), sa.Column("seed", sa.BigInteger))
    db = Database(url, schema=schema)
    try:
        await db.create_all(new)
        async with db.write() as conn:
            await conn.execute(campaigns.insert().values(id="c1", seed=2540931313))
        async with db.read() as conn:
            assert (await conn.execute(sa.select(campaigns.c.seed))).scalar_one() == 2540931313
    finally:
        await db.dispose()


@pytest.mark.parametrize("zone", [dt.timezone(dt.timedelta(hours=8)), dt.timezone.utc], ids=["+08:00", "utc"])
async def test_a_batch_insert_reads_back_exactly_as_one_through_sqlalchemy(db_kind, tmp_path, cleanup_schemas, zone):
    """insert_ignore_many / insert_ignore_rows (a driver-level fast path on SQLite) store
    times, JSON, booleans, dates and NULLs as SQLAlchemy's own insert does, and a column
    left out that has a Python default still gets it."""
    import datetime as dt

    from libs.runtime.db import UtcDateTime, insert_ignore_rows

    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "probe")
    metadata = sa.MetaData()
    things = sa.Table(
        "things", metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("doc", sa.JSON, nullable=True),
        sa.Column("flag", sa.Boolean, nullable=False),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("note", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False, default="plain"),
    )
    await db.create_all(metadata)
    at = dt.datetime(2026, 3, 1, 23, 30, 15, 123456, tzinfo=zone)
    row = {"at": at, "doc": {"a": [1, "二"], "b": None}, "flag": True, "day": dt.date(2026, 3, 2), "note": None}
    try:
        async with db.write() as conn:
            await conn.execute(things.insert(), [{"id": "by-sqlalchemy", "kind": "plain", **row}])
            new = await insert_ignore_many(conn, things, [{"id": "fast", "kind": "plain", **row},
                                                          {"id": "by-sqlalchemy", "kind": "plain", **row}], ["id"])
            await insert_ignore_rows(conn, things, [{"id": "defaulted", **row}])  # kind left to its default
        assert new == {("fast",)}
        async with db.read() as conn:
            got = {r["id"]: dict(r) for r in (await conn.execute(sa.select(things))).mappings()}
        assert set(got) == {"by-sqlalchemy", "fast", "defaulted"}
        for key in ("fast", "defaulted"):
            assert {k: v for k, v in got[key].items() if k != "id"} == {k: v for k, v in got["by-sqlalchemy"].items() if k != "id"}
        assert got["fast"]["at"] == at and got["fast"]["at"].tzinfo is not None
    finally:
        await db.dispose()


async def test_an_upsert_of_a_batch_does_what_sqlalchemy_does_row_by_row(db_kind, tmp_path, cleanup_schemas):
    """execute_many (through the driver on SQLite): new rows are inserted, a row already
    there is updated only where the statement says so, and times and booleans are stored as
    SQLAlchemy stores them."""
    from sqlalchemy.dialects import postgresql, sqlite

    from libs.runtime.db import UtcDateTime, execute_many

    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "upsert")
    metadata = sa.MetaData()
    steps = sa.Table(
        "steps", metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    await db.create_all(metadata)
    insert = (postgresql if db_kind == "postgresql" else sqlite).insert(steps)
    stmt = insert.on_conflict_do_update(index_elements=[steps.c.id],
                                        set_={"step": insert.excluded.step, "done": insert.excluded.done},
                                        where=insert.excluded.step > steps.c.step)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    t1, t2 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=shanghai), dt.datetime(2026, 3, 1, 0, 30, 1, 5, tzinfo=dt.timezone.utc)
    try:
        async with db.write() as conn:
            await conn.execute(steps.insert(), [{"id": "a", "step": 2, "done": False, "at": t1},
                                                {"id": "b", "step": 1, "done": False, "at": t1}])
            await execute_many(conn, stmt, [
                {"id": "a", "step": 1, "done": True, "at": t2},   # an older step: a stays as it was
                {"id": "b", "step": 3, "done": True, "at": t2},   # a later one: b moves, its time stays
                {"id": "c", "step": 1, "done": True, "at": t2},   # new
            ])
            await execute_many(conn, stmt, [])
        async with db.read() as conn:
            got = {r.id: (r.step, r.done, r.at) for r in await conn.execute(sa.select(steps))}
            if db_kind == "sqlite":  # the text SQLAlchemy itself writes
                raw = (await conn.execute(sa.text("SELECT at, done FROM steps WHERE id = 'c'"))).one()
                assert tuple(raw) == ("2026-03-01 00:30:01.000005", 1)
    finally:
        await db.dispose()
    assert got == {"a": (2, False, t1), "b": (3, True, t1), "c": (1, True, t2)}
