"""Versioned migrations (libs/runtime/db/migrate.py, python -m scripts.migrate): every
service's revisions make exactly the tables its tables.py declares, on SQLite and
PostgreSQL; a service refuses to start on a database the step has not brought to the
newest revision; two steps at once on PostgreSQL are safe; a data folder made by the
release that created tables at start-up is adopted in place, its rows kept; a new
revision is one command."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
import sqlalchemy as sa

from libs.contracts import utcnow
from libs.runtime.db import Database, migrate
from scripts.migrate import SERVICES
from tests.support.harness import fresh_database, jwks_file, make_tables

ROOT = Path(__file__).resolve().parents[3]


def tables_of(service: str):
    return importlib.import_module(f"services.{service}.tables")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_revisions_make_exactly_the_tables_the_service_declares(service, db_kind, tmp_path, cleanup_schemas):
    """Alembic's compare_metadata between tables.py and a database at the newest revision:
    a table, column, index or type added to tables.py without a revision fails here
    (write one with ``python -m scripts.migrate --revision SERVICE -m ...``)."""
    db = fresh_database(db_kind, tmp_path, cleanup_schemas, service)
    try:
        await make_tables(db, tables_of(service).metadata)
        assert await migrate.differences(db.url, db.schema, tables_of(service).metadata) == []
    finally:
        await db.dispose()


async def test_a_service_refuses_to_start_on_a_database_not_migrated_and_names_the_command(
        db_kind, tmp_path, cleanup_schemas, nats_server):
    from services.intake import tables
    from services.intake.app import create_app
    from services.intake.settings import Settings

    db = fresh_database(db_kind, tmp_path, cleanup_schemas, "intake")
    settings = Settings(nats_url=nats_server.url, data_dir=str(tmp_path), database_url=db.url,
                        database_schema=db.schema or "intake", auth_jwks_file=jwks_file())
    with pytest.raises(BaseException) as refused:  # (the app's lifespan wraps it in a group)
        async with create_app(settings).lifespan():
            pass
    said = "".join(traceback.format_exception(refused.value))
    assert "NotMigrated: intake's database" in said and "run `python -m scripts.migrate` first" in said
    if db_kind == "postgresql":  # it created nothing, not even its schema
        async with db.read() as conn:
            found = await conn.scalar(sa.text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": db.schema})
        assert found == 0

    await make_tables(db, tables.metadata)  # the migration step: now the check passes
    await migrate.require_head(db, tables.metadata, "intake")

    version = f'"{db.schema}".alembic_version' if db.schema else "alembic_version"
    async with db.write() as conn:  # as a newer release's step leaves it
        await conn.execute(sa.text(f"UPDATE {version} SET version_num = '0099'"))
    with pytest.raises(migrate.NotMigrated, match="at revision 0099, newer than this release knows"):
        await migrate.require_head(db, tables.metadata, "intake")
    await db.dispose()


async def test_two_migration_steps_at_once_on_postgresql_both_succeed(tmp_path, cleanup_schemas):
    """A fresh schema, two steps at the same moment (two Jobs, two operators): each
    service's advisory lock makes the second wait and find the work done."""
    db = fresh_database("postgresql", tmp_path, cleanup_schemas, "dispatch") if _pg() else pytest.skip("no PostgreSQL")
    await db.dispose()
    metadata = tables_of("dispatch").metadata
    outcomes = await asyncio.gather(*(migrate.upgrade(db.url, db.schema, metadata) for _ in range(3)))
    assert sorted(len(o.before) for o in outcomes) == [0, 1, 1]  # one migrated, the others found it done
    assert all(o.after == migrate.heads(metadata) for o in outcomes)  # every one at the newest revision
    assert await migrate.differences(db.url, db.schema, metadata) == []


def _pg() -> bool:
    from tests.support.harness import postgres_reachable

    return postgres_reachable()


def run_step(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLAZADESK_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    for key in [k for k in env if k.endswith(("DATABASE_URL", "DATABASE_SCHEMA"))]:
        del env[key]
    return subprocess.run([sys.executable, "-m", "scripts.migrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_a_data_folder_of_the_release_before_migrations_is_adopted_with_its_rows(tmp_path):
    """./data as the release that created tables at every start left it (each service's
    SQLite file made by its start-up upgrade, no version table), one table even older
    (dispatch's work orders before ``original_department``): the step brings every file
    to the newest revision in place and keeps every row; the services may then start."""
    data = tmp_path / "data"
    # The tables as that release had them: each service's baseline revision.
    baseline = {service: migrate.baseline_metadata(tables_of(service).metadata) for service in SERVICES}
    older = sa.MetaData()
    sa.Table("work_orders", older,
             *(c._copy() for c in baseline["dispatch"].tables["work_orders"].columns if c.name != "original_department"),
             sa.UniqueConstraint("plaza_id", "request_id", name="uq_work_orders_plaza_request"))
    for service in SERVICES:
        db = Database(f"sqlite:///{data}/{service}.db")
        await db.create_all(older if service == "dispatch" else baseline[service])  # the old start-up
        await db.dispose()
    now = utcnow()
    order = {"id": "wo-1", "plaza_id": "p1", "request_id": "r-1", "unit": "A-1", "department": "engineering",
             "kind": "service", "sla_class": "normal", "priority": "normal", "text": "drain", "status": "closed",
             "created_at": now, "updated_at": now}
    db = Database(f"sqlite:///{data}/dispatch.db")
    async with db.write() as conn:
        await conn.execute(older.tables["work_orders"].insert().values(order))
    await db.dispose()
    intake = tables_of("intake")
    db = Database(f"sqlite:///{data}/intake.db")
    async with db.write() as conn:
        await conn.execute(intake.plazas.insert().values(plaza_id="p1", name="Plaza One"))
    await db.dispose()

    assert run_step(data, "--check").returncode == 1  # not yet: the services would refuse to start
    done = run_step(data)
    assert done.returncode == 0, done.stderr
    def head(service: str) -> str:
        return ", ".join(sorted(migrate.heads(tables_of(service).metadata)))

    assert f"dispatch  migrated to {head('dispatch')} (was an older release's tables)" in done.stdout
    assert run_step(data, "--check").returncode == 0
    again = run_step(data).stdout  # a second run changes nothing
    assert all(f"at {head(service)}" in again for service in SERVICES) and "migrated" not in again, again

    for service in SERVICES:
        url = f"sqlite:///{data}/{service}.db"
        assert await migrate.differences(url, None, tables_of(service).metadata) == [], service
    db = Database(f"sqlite:///{data}/dispatch.db")
    async with db.read() as conn:
        row = (await conn.execute(sa.select(tables_of("dispatch").work_orders))).one()
    await db.dispose()
    assert (row.id, row.department, row.original_department) == ("wo-1", "engineering", "engineering")  # backfilled
    db = Database(f"sqlite:///{data}/intake.db")
    async with db.read() as conn:
        assert (await conn.execute(sa.select(intake.plazas.c.name))).scalars().all() == ["Plaza One"]
    await db.dispose()


async def test_a_new_revision_is_one_command_and_brings_a_database_to_the_tables(tmp_path):
    """What an engineer does after adding columns and a table to a service's tables.py:
    ``--revision`` writes 0002 from the difference; the step applies it to a database at
    0001 that holds rows: a new NOT NULL column gets its default as the server's, one
    with a ``backfill`` is filled from it, then made NOT NULL."""
    console = tables_of("console")
    folder = tmp_path / "console"
    shutil.copytree(migrate.migrations_of(console.metadata), folder / "migrations")
    metadata = migrate.service_metadata(str(folder / "tables.py"))
    for table in console.metadata.tables.values():
        table.to_metadata(metadata)
    url = f"sqlite:///{tmp_path}/console.db"
    await migrate.upgrade(url, None, metadata)
    db = Database(url)
    async with db.write() as conn:
        await conn.execute(metadata.tables["preferences"].insert().values(
            username="li", language="zh-CN", updated_at=utcnow()))
    await db.dispose()

    metadata.tables["preferences"].append_column(sa.Column("compact", sa.Boolean, nullable=False, default=False))
    metadata.tables["preferences"].append_column(
        sa.Column("first_language", sa.String(10), nullable=False, info={"backfill": "language"}))
    sa.Table("pinned_pages", metadata, sa.Column("username", sa.String(100), primary_key=True),
             sa.Column("path", sa.String(200), nullable=False))
    written = await migrate.new_revision(metadata, "compact view and pinned pages")
    assert written.name == "0002_compact_view_and_pinned_pages.py"
    text = written.read_text()
    assert "down_revision = '0001'" in text and "op.create_table('pinned_pages'" in text
    assert "batch_op.add_column(sa.Column('compact', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))" in text

    assert """op.execute('UPDATE "preferences" SET "first_language" = language WHERE "first_language" IS NULL')""" in text
    outcome = await migrate.upgrade(url, None, metadata)
    assert (outcome.before, outcome.after) == ({"0001"}, {"0002"})
    assert await migrate.differences(url, None, metadata) == []
    db = Database(url)
    async with db.read() as conn:
        row = (await conn.execute(sa.select(metadata.tables["preferences"]))).one()
    assert (row.compact, row.first_language) == (False, "zh-CN")
    await db.dispose()
