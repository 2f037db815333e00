"""Versioned migrations of a service's tables (Alembic), run once by the migration step
(``python -m scripts.migrate``) before any replica starts; a service whose database is not
at the newest revision refuses to start (``require_head``).

Each service keeps its revisions in ``services/<name>/migrations/versions`` beside its
tables.py (``service_metadata`` records the folder on the MetaData); the env.py and the
revision template are shared (``migration_env``). The version table is in the service's
own PostgreSQL schema, or in its SQLite file.

PostgreSQL: the whole step runs in one transaction that first takes an advisory lock named
after the schema, so two migration runs at once (two Jobs, two ``make run``) take turns and
the second finds the work done; statements are schema-translated as the services' are, and
``search_path`` names the schema for a revision's own SQL. SQLite: the step takes the
file's write lock (``BEGIN IMMEDIATE``) for the same effect, on its own connection, before
any service engine opens the file.

A database an older release made (its tables created and altered at start-up, no version
table) is adopted in place: the start-up upgrade of that release (schema.upgrade) brings
its tables to the baseline revision's, the baseline is stamped, then later revisions run.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate.rewriter import Rewriter
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from libs.runtime import logging as log
from libs.runtime.db.schema import RETIRED_INDEXES, upgrade as start_up_upgrade
from libs.runtime.db.sqlite import ensure_sqlite_dir, sqlite_engine
from libs.runtime.db.types import JSON_CODEC

logger = log.get("db")
# Alembic says at info which dialect it found, at every start-up's check: the step logs
# what it migrated itself.
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS = "plazadesk.migrations"  # a MetaData's info: the folder of its revisions
VERSION_TABLE = "alembic_version"
ENV_DIR = Path(__file__).with_name("migration_env")
COMMAND = "python -m scripts.migrate"


class NotMigrated(RuntimeError):
    """The database is not at the newest revision this release knows."""


def service_metadata(tables_file: str) -> sa.MetaData:
    """A service's MetaData (in its tables.py: ``service_metadata(__file__)``), its
    revisions in the ``migrations/versions`` folder beside that file."""
    return sa.MetaData(info={MIGRATIONS: Path(tables_file).resolve().with_name("migrations")})


def migrations_of(metadata: sa.MetaData) -> Path | None:
    return metadata.info.get(MIGRATIONS)


def config(metadata: sa.MetaData, schema: str | None = None, connection=None) -> Config:
    folder = migrations_of(metadata)
    if folder is None:
        raise ValueError("this MetaData has no migrations (see service_metadata)")
    cfg = Config()
    cfg.set_main_option("script_location", str(ENV_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(folder / "versions"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes.update(metadata=metadata, schema=schema, connection=connection)
    return cfg


def script_of(metadata: sa.MetaData) -> ScriptDirectory:
    return ScriptDirectory.from_config(config(metadata))


def heads(metadata: sa.MetaData) -> set[str]:
    return set(script_of(metadata).get_heads())


def current(sync_conn, schema: str | None) -> set[str]:
    """The revisions the database is at (empty: none, or no version table)."""
    ctx = MigrationContext.configure(sync_conn, opts=_version_opts(schema))
    return set(ctx.get_current_heads())


def _version_opts(schema: str | None) -> dict:
    return {"version_table": VERSION_TABLE, "version_table_schema": schema}


async def require_head(db, metadata: sa.MetaData, service: str) -> None:
    """Start-up's check (instead of creating tables): refuse, naming the command, unless
    the database is at the newest revision."""
    async with db.read() as conn:
        at = await conn.run_sync(current, db.schema)
    script = script_of(metadata)
    wanted = set(script.get_heads())
    if at != wanted:
        where = f"schema {db.schema!r}" if db.schema else db.url
        if at - {r.revision for r in script.walk_revisions()}:  # migrated by a newer release
            raise NotMigrated(f"{service}'s database ({where}) is at revision {_names(at)}, newer than this "
                              f"release knows (its newest: {_names(wanted)}): run the release that migrated it")
        raise NotMigrated(
            f"{service}'s database ({where}) is at revision {_names(at)}, this release needs {_names(wanted)}: "
            f"run `{COMMAND}` first (docs/operations.md#migrations)")


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none (no tables made by a migration)"


# -- The migration step ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    before: frozenset[str]
    after: frozenset[str]
    adopted: bool  # an older release's tables, brought to the baseline and stamped


def migration_engine(url: str, schema: str | None) -> AsyncEngine:
    """The step's own engine, opened and closed around it: SQLite's writer settings, or
    PostgreSQL without a pool, schema-translated as the services' engines are."""
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        return sqlite_engine(url, writer=True)
    engine = create_async_engine(url, poolclass=NullPool, **JSON_CODEC)
    return engine.execution_options(schema_translate_map={None: schema}) if schema else engine


async def upgrade(url: str, schema: str | None, metadata: sa.MetaData) -> Outcome:
    """Bring one service's database to the newest revision (see the module's doc)."""
    schema = None if url.startswith("sqlite") else schema
    engine = migration_engine(url, schema)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_upgrade, metadata, schema)
    finally:
        await engine.dispose()


def _upgrade(sync_conn, metadata: sa.MetaData, schema: str | None) -> Outcome:
    with sync_conn.begin():
        _enter(sync_conn, schema)
        before = current(sync_conn, schema)
        adopted = not before and _has_unversioned_tables(sync_conn, metadata, schema)
        cfg = config(metadata, schema, sync_conn)
        if adopted:
            baseline = _baseline(script_of(metadata))
            old = baseline_metadata(metadata)
            start_up_upgrade(sync_conn, old, schema)
            _require_filled_columns(sync_conn, old, schema)
            command.stamp(cfg, baseline.revision)
            logger.info("migration_adopted_tables", schema=schema, baseline=baseline.revision)
        command.upgrade(cfg, "heads")
        after = current(sync_conn, schema)
    if before != after:
        logger.info("migrated", schema=schema, before=sorted(before), after=sorted(after))
    return Outcome(frozenset(before), frozenset(after), adopted)


def _enter(sync_conn, schema: str | None) -> None:
    """PostgreSQL: the schema's lock (held to the end of the transaction), the schema
    itself, and ``search_path`` for SQL a revision writes by hand."""
    if schema is None:
        return
    sync_conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"plazadesk.migrate.{schema}"})
    quoted = sync_conn.dialect.identifier_preparer.quote_schema(schema)
    sync_conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
    sync_conn.execute(sa.text(f"SET LOCAL search_path TO {quoted}"))


def _require_filled_columns(sync_conn, baseline: sa.MetaData, schema: str | None) -> None:
    """The start-up upgrade added every new column nullable: one the baseline declares
    NOT NULL is made so once its default or backfill has filled it (SQLite rebuilds the
    table for it); a column still holding NULLs stays nullable, with a warning."""
    inspector = sa.inspect(sync_conn)
    operations = Operations(MigrationContext.configure(sync_conn))
    for table in baseline.sorted_tables:
        found = {c["name"]: c for c in inspector.get_columns(table.name, schema=schema)}
        loose = [c for c in table.columns if not c.nullable and found[c.name]["nullable"]]
        for column in loose[:]:
            if sync_conn.execute(sa.select(sa.literal(1)).select_from(table).where(column.is_(None)).limit(1)).first():
                loose.remove(column)
                logger.warning("column_left_nullable", table=table.name, column=column.name)
        if loose:
            with operations.batch_alter_table(table.name) as batch:
                for column in loose:
                    batch.alter_column(column.name, nullable=False, existing_type=found[column.name]["type"])


def _has_unversioned_tables(sync_conn, metadata: sa.MetaData, schema: str | None) -> bool:
    inspector = sa.inspect(sync_conn)
    if inspector.has_table(VERSION_TABLE, schema=schema):
        return False
    return bool(set(inspector.get_table_names(schema=schema)) & set(metadata.tables))


def _baseline(script: ScriptDirectory):
    bases = script.get_bases()
    if len(bases) != 1:
        raise RuntimeError(f"{script.versions}: expected one baseline revision, found {bases}")
    return script.get_revision(bases[0])


def baseline_metadata(metadata: sa.MetaData) -> sa.MetaData:
    """The tables as the baseline revision creates them, with the defaults and ``backfill``
    infos of today's columns of the same names: what an older release's start-up upgrade
    needs to bring its tables to the baseline (columns it lacked added, with a value)."""
    recorder, done = Operations(MigrationContext.configure(dialect_name="sqlite")), []
    recorder.invoke = done.append  # collects what the revision would do, does none of it
    recorder._install_proxy()
    try:
        _baseline(script_of(metadata)).module.upgrade()
    finally:
        recorder._remove_proxy()
    base = sa.MetaData(info={RETIRED_INDEXES: list(metadata.info.get(RETIRED_INDEXES, ()))})
    for operation in done:
        if isinstance(operation, alembic_ops.CreateTableOp):
            table = operation.to_table().to_metadata(base)
            today = metadata.tables.get(table.name)
            for column in table.columns:
                if today is not None and column.name in today.c:
                    column.default = today.c[column.name].default
                    column.info.update(today.c[column.name].info)
        elif isinstance(operation, alembic_ops.CreateIndexOp):
            table = base.tables[operation.table_name]
            sa.Index(operation.index_name, *(table.c[c] for c in operation.columns), unique=bool(operation.unique),
                     **operation.kw)
        else:
            raise RuntimeError(f"the baseline revision may only create tables and indexes, not {operation!r}")
    return base


# -- Comparing and writing revisions ------------------------------------------------------------

async def differences(url: str, schema: str | None, metadata: sa.MetaData) -> list:
    """What the tables of ``metadata`` and the database's differ by (Alembic's
    compare_metadata): empty when the revisions make exactly what tables.py declares."""
    schema = None if url.startswith("sqlite") else schema
    engine = migration_engine(url, schema)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_differences, metadata, schema)
    finally:
        await engine.dispose()


def _differences(sync_conn, metadata: sa.MetaData, schema: str | None) -> list:
    from alembic.autogenerate import compare_metadata

    with sync_conn.begin():
        _inspect_schema(sync_conn, schema)
        ctx = MigrationContext.configure(sync_conn, opts={**_options(metadata, schema)})
        return compare_metadata(ctx, metadata)


def _inspect_schema(sync_conn, schema: str | None) -> None:
    """Autogenerate reflects the default schema: make it the service's."""
    if schema is not None:
        quoted = sync_conn.dialect.identifier_preparer.quote_schema(schema)
        sync_conn.execute(sa.text(f"SET LOCAL search_path TO {quoted}"))
        sync_conn.dialect.default_schema_name = schema


def _options(metadata: sa.MetaData, schema: str | None) -> dict:
    return {
        **_version_opts(schema),
        "target_metadata": metadata,
        # Revisions are written in batch form whatever database autogenerate ran on: SQLite
        # alters a table by copying it, PostgreSQL runs the same ops as plain ALTERs.
        "render_as_batch": True,
        "compare_type": True,
        "user_module_prefix": "types.",
        # The version table is the migrations', not the service's.
        "include_name": lambda name, kind, _parent: not (kind == "table" and name == VERSION_TABLE),
        "process_revision_directives": _rows_get_values,
    }


_rows_get_values = Rewriter()


@_rows_get_values.rewrites(alembic_ops.ModifyTableOps)
def _new_columns_get_values(_context, _revision, table_ops):
    """A column a revision adds to a table that may hold rows gets their value written
    into the revision: a required column with a plain default (``default=False``) gets it
    as the column's server default; one with ``info={"backfill": "<SQL>"}`` is added
    nullable, filled by an UPDATE, then made NOT NULL if tables.py says so."""
    after, tighten = [], []
    for i, op in enumerate(table_ops.ops):
        if not isinstance(op, alembic_ops.AddColumnOp):
            continue
        column, backfill = op.column._copy(), op.column.info.get("backfill")
        if backfill:
            column.nullable = True
            name = column.name
            after.append(alembic_ops.ExecuteSQLOp(f'UPDATE "{op.table_name}" SET "{name}" = {backfill} WHERE "{name}" IS NULL'))
            if not op.column.nullable:
                tighten.append(alembic_ops.AlterColumnOp(op.table_name, name, modify_nullable=False, existing_nullable=True,
                                                         existing_type=column.type, schema=op.schema))
        elif column.server_default is None and not column.nullable and (value := _server_value(column)) is not None:
            sa.DefaultClause(value)._set_parent(column)
        table_ops.ops[i] = alembic_ops.AddColumnOp(op.table_name, column, schema=op.schema)
    if tighten:
        after.append(alembic_ops.ModifyTableOps(table_ops.table_name, tighten, schema=table_ops.schema))
    return [table_ops, *after] if after else table_ops


def _server_value(column: sa.Column):
    default = column.default
    if default is None or not default.is_scalar:
        return None
    value = default.arg
    if isinstance(value, bool):  # TRUE/FALSE: PostgreSQL refuses 0/1 for a boolean; SQLite reads both
        return sa.text("true" if value else "false")
    if isinstance(value, (int, float)):
        return sa.text(repr(value))
    return value if isinstance(value, str) else None


async def new_revision(metadata: sa.MetaData, message: str) -> Path:
    """Autogenerate the next revision from what tables.py declares and the revisions
    make, compared on a scratch SQLite file brought to the newest revision; numbered
    0001, 0002, … Review it before committing (docs/operations.md#migrations)."""
    script = script_of(metadata)
    number = max((int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()), default=0) + 1
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/scratch.db"
        await upgrade(url, None, metadata)
        engine = migration_engine(url, None)
        try:
            async with engine.connect() as conn:
                made = await conn.run_sync(_autogenerate, metadata, message, f"{number:04d}")
        finally:
            await engine.dispose()
    return Path(made.path)


def _autogenerate(sync_conn, metadata: sa.MetaData, message: str, rev_id: str):
    with sync_conn.begin():
        return command.revision(config(metadata, None, sync_conn), message=message, autogenerate=True, rev_id=rev_id)


def run_env(context) -> None:
    """env.py's body: configure Alembic on the connection the step hands over."""
    attrs = context.config.attributes
    conn, metadata, schema = attrs["connection"], attrs["metadata"], attrs["schema"]
    context.configure(connection=conn, **_options(metadata, schema))
    with context.begin_transaction():
        context.run_migrations()
