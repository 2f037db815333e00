"""SQLAlchemy 2 async storage for SQLite (embedded default) and PostgreSQL (production).

SQLite: WAL, synchronous=FULL (NORMAL only for writes whose loss is harmless, see
``lax_write``), a busy timeout and exactly one writer connection
(measured here: a pool of writers spends its time in lock contention). Transactions are
begun explicitly (``BEGIN IMMEDIATE`` on the writer) so savepoints work and a writer never
has to upgrade a read lock.

PostgreSQL: one schema per service (``schema_translate_map``), so several services can
share a database without sharing a table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import operator
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import msgspec
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from libs.runtime import logging as log
from libs.runtime.sqlite_inline import inline_url

logger = log.get("db")


WROTE_OUTBOX = "plazadesk.wrote_outbox"

# JSON columns (timeline entries, audit before/after, campaigns…) are written and read with
# msgspec: the standard library's json.dumps was ~10 % of archive's CPU at 500 closes/s.
JSON_CODEC = {
    "json_serializer": lambda value: msgspec.json.encode(value).decode(),
    "json_deserializer": msgspec.json.decode,
}
RETIRED_INDEXES = "plazadesk.retired_indexes"  # a MetaData's info: see _drop_retired_indexes
SYNCHRONOUS = "plazadesk.sqlite_synchronous"  # the writer's current level, in its connection info


def wrote_outbox(conn: AsyncConnection) -> None:
    """Marks the open transaction as having written outbox rows (see Database.after_commit)."""
    conn.info[WROTE_OUTBOX] = True


class Database:
    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.schema = None if self.is_sqlite else schema
        self._after_commit: list[Callable[[], None]] = []
        self._checkpoints: asyncio.Task | None = None
        # SQLite has one writer connection, kept open and taken in turn (see _sqlite_write).
        self._writer_conn: AsyncConnection | None = None
        self._writer_turn = asyncio.Lock()
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            self.writer = _sqlite_engine(url, writer=True)
            self.reader = _sqlite_engine(url, writer=False)
        else:
            opts = {"schema_translate_map": {None: self.schema}} if self.schema else {}
            self.writer = create_async_engine(
                url, pool_size=10, max_overflow=10, pool_pre_ping=True, **JSON_CODEC
            ).execution_options(**opts)
            self.reader = self.writer

    @property
    def key(self) -> tuple[str, str | None]:
        """``database_key`` of this database's connections, without taking one."""
        return _engine_key(self.reader.sync_engine)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Called after a committed write transaction that wrote outbox rows (marked with
        ``wrote_outbox``): the relay's wake-up, skipped when there is nothing to publish."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        begin = self._sqlite_write("FULL") if self.is_sqlite else self.writer.begin()
        async with begin as conn:
            try:
                yield conn
            finally:  # read (and cleared) while the connection is ours; on failure, discarded
                wrote = conn.info.pop(WROTE_OUTBOX, False)
        if wrote:
            for callback in self._after_commit:
                callback()

    @asynccontextmanager
    async def lax_write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction whose loss in a power failure is harmless (the relay's
        "published" marks: an unmarked event is published again, and JetStream or the
        consumers' inboxes drop the copy). On SQLite its commit does not wait for the disk."""
        begin = self._sqlite_write("NORMAL") if self.is_sqlite else self.writer.begin()
        async with begin as conn:
            yield conn

    @asynccontextmanager
    async def _sqlite_write(self, synchronous: str) -> AsyncIterator[AsyncConnection]:
        """SQLite's single writer connection stays open; transactions take it in turn.
        Checking a connection out of a pool and back in per transaction (events, a reset,
        a shielded close task) cost as much CPU as a small consumer batch's own statements."""
        async with self._writer_turn:
            conn = self._writer_conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self._writer_conn = await self.writer.connect()
            if conn.in_transaction():  # left open by a cancelled turn
                await conn.rollback()
            fairy = conn.sync_connection.connection
            if fairy.info.get(SYNCHRONOUS) != synchronous:  # outside the transaction
                fairy.driver_connection.execute(f"PRAGMA synchronous={synchronous}")
                fairy.info[SYNCHRONOUS] = synchronous
            try:
                async with conn.begin():
                    yield conn
            except BaseException:
                if conn.invalidated:
                    self._writer_conn = None
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as conn:
            yield conn

    async def create_all(self, metadata: sa.MetaData) -> None:
        """Create missing tables, and add columns a newer release introduced to tables an
        older one created (new columns are nullable or have a default, like new event
        fields), so ``make run`` on an existing data folder keeps working; indexes a newer
        release replaced are dropped, those it added are created."""
        async with self.write() as conn:
            if self.schema:
                await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            await conn.run_sync(_drop_retired_indexes, metadata, self.schema)
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(_add_missing_columns, metadata, self.schema)
            await conn.run_sync(_add_missing_indexes, metadata)

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(2):
                async with self.reader.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    def start_checkpoints(self, every_s: float = 1.0) -> None:
        """SQLite: copy the WAL back into the database file from a worker thread, so that
        the copy and its fsync never stall the event loop (statements run on the loop; an
        automatic checkpoint at commit took hundreds of milliseconds under load). The
        writer's own automatic checkpoint stays as a backstop at 10,000 pages."""
        path = _sqlite_path(self.url)
        if self.is_sqlite and path != ":memory:" and self._checkpoints is None:
            self._checkpoints = asyncio.create_task(
                _checkpoint_every(path, every_s, self._finish_checkpoint), name="sqlite-checkpoint")

    async def _finish_checkpoint(self) -> None:
        """After the worker thread's checkpoint: the same on the writer connection, between
        two of its transactions. It copies only what was committed meanwhile, and the next
        transaction then starts the log over from its beginning. Without it the log was
        never restarted under a steady flow of writes (the thread's checkpoint always ends
        while a write is under way) and grew to the 10,000-page automatic checkpoint:
        measured in process, 3,000 small transactions left a 21 MB log, 1.4 MB with this."""
        async with self._writer_turn:
            conn = self._writer_conn
            if conn is None or conn.closed or conn.invalidated or conn.in_transaction():
                return
            sqlite_driver(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def dispose(self) -> None:
        if self._writer_conn is not None:
            async with self._writer_turn:
                await self._writer_conn.close()
                self._writer_conn = None
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            await asyncio.gather(self._checkpoints, return_exceptions=True)
            self._checkpoints = None
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


class _SqliteUtcText(sqlite.DATETIME):
    """SQLite's DATETIME column, stored exactly as SQLAlchemy stores it ("YYYY-MM-DD
    HH:MM:SS.ffffff", so ranges compare as text and older files read the same) but written
    and read with ``isoformat``/``fromisoformat``: the generic processors (strftime-style
    formatting, a regular expression to parse) were a visible share of a batch insert."""

    def bind_processor(self, dialect):
        def process(value):
            return None if value is None else value.isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect, coltype):
        parse = dt.datetime.fromisoformat

        def process(value):
            return None if value is None else parse(value)

        return process


_UTC = dt.timezone.utc


def sqlite_utc_text(value: dt.datetime) -> str:
    """An aware datetime as a ``UtcDateTime`` column stores it on SQLite. Nearly every
    value is already UTC (``utcnow()``, decoded events): its text is written directly, a
    third less time than converting it first (six of these per work order opened)."""
    if value.tzinfo is _UTC:
        return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
    return _in_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _in_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: PlazaDesk stores UTC-aware times only")
    return value.astimezone(_UTC)


def sqlite_driver(conn: AsyncConnection) -> sqlite3.Connection | None:
    """On SQLite, the driver's connection under ``conn`` (in ``conn``'s transaction), for
    the runtime's own statements that run for every batch and every relay round (inbox,
    outbox): through SQLAlchemy's execution path each cost 10-20 times what SQLite takes
    to run it. None on PostgreSQL, where those statements go through SQLAlchemy."""
    if conn.dialect.name != "sqlite":
        return None
    return conn.sync_connection.connection.driver_connection


class UtcDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteUtcText())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = _in_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def _drop_retired_indexes(sync_conn, metadata: sa.MetaData, schema: str | None) -> None:
    """Indexes an older release created and a newer one replaced (named in
    ``metadata.info[RETIRED_INDEXES]``): left in place, they cost every insert and may
    mislead SQLite's planner (see survey's visits)."""
    preparer = sync_conn.dialect.identifier_preparer
    for name in metadata.info.get(RETIRED_INDEXES, ()):
        qualified = f"{preparer.quote_schema(schema)}.{preparer.quote(name)}" if schema else preparer.quote(name)
        sync_conn.execute(sa.text(f"DROP INDEX IF EXISTS {qualified}"))


def _add_missing_columns(sync_conn, metadata: sa.MetaData, schema: str | None) -> None:
    """A column may say how existing rows get their value: ``info={"backfill": "<SQL>"}``
    (e.g. ``"department"``). A required column without a default or backfill is added as
    nullable, with a warning: old rows hold NULL there."""
    inspector = sa.inspect(sync_conn)
    preparer = sync_conn.dialect.identifier_preparer
    for table in metadata.sorted_tables:
        existing = {c["name"]: c for c in inspector.get_columns(table.name, schema=schema)}
        # Text statements are not schema-translated: name the service's schema here.
        qualified = f"{preparer.quote_schema(schema)}.{preparer.quote(table.name)}" if schema else preparer.format_table(table)
        for column in table.columns:
            if column.name in existing:
                _widen(sync_conn, qualified, column, existing[column.name])
                continue
            name = preparer.format_column(column)
            ddl = f"ALTER TABLE {qualified} ADD COLUMN {name} "
            ddl += column.type.compile(dialect=sync_conn.dialect)
            default = getattr(column.server_default, "arg", None)
            if default is None and column.default is not None and column.default.is_scalar:
                default = column.default.arg
            if default is not None:
                # TRUE/FALSE: PostgreSQL refuses 0/1 for a boolean; SQLite reads both.
                value = default.text if hasattr(default, "text") else (
                    str(default).upper() if isinstance(default, bool) else repr(default))
                ddl += f" DEFAULT {value}"
            sync_conn.execute(sa.text(ddl))
            backfill = column.info.get("backfill")
            if backfill:
                sync_conn.execute(sa.text(f"UPDATE {qualified} SET {name} = {backfill} WHERE {name} IS NULL"))
            elif default is None and not column.nullable:
                logger.warning("column_added_without_value", table=table.name, column=column.name)
            logger.info("column_added", table=table.name, column=column.name)


def _widen(sync_conn, qualified: str, column: sa.Column, found: dict) -> None:
    """An INTEGER column a newer release declares BIGINT is widened in place on PostgreSQL
    (a value of 2**31 or more would otherwise be refused); SQLite's integers are 64-bit
    whatever the declared type."""
    if sync_conn.dialect.name != "postgresql" or not isinstance(column.type, sa.BigInteger):
        return
    if isinstance(found["type"], sa.BigInteger) or not isinstance(found["type"], sa.Integer):
        return
    name = sync_conn.dialect.identifier_preparer.format_column(column)
    sync_conn.execute(sa.text(f"ALTER TABLE {qualified} ALTER COLUMN {name} TYPE BIGINT"))
    logger.info("column_widened", table=column.table.name, column=column.name)


def _add_missing_indexes(sync_conn, metadata: sa.MetaData) -> None:
    """Indexes a newer release added to a table an older one created (``create_all``
    creates a table's indexes only with the table), after the columns they need."""
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(sync_conn, checkfirst=True)


def insert_ignore(conn: AsyncConnection, table: sa.Table):
    """``INSERT … ON CONFLICT DO NOTHING`` for the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


async def insert_ignore_many(conn: AsyncConnection, table: sa.Table, rows: list[dict], key: Sequence[str]) -> set[tuple]:
    """Insert a batch of rows in one statement, skipping those whose unique key is already
    there; the keys (as tuples of the ``key`` columns) of the rows really inserted come back,
    so a set-based consumer knows which of its events had an effect (and emits only those)."""
    if not rows:
        return set()
    fast = _sqlite_insert_ignore(conn, table, rows, tuple(key))
    if fast is not None:
        return fast
    stmt = insert_ignore(conn, table).returning(*(table.c[k] for k in key))
    result = await conn.execute(stmt, rows)
    return {tuple(r) for r in result}


async def insert_ignore_rows(conn: AsyncConnection, table: sa.Table, rows: list[dict]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of a batch of rows, nothing returned."""
    if rows and _sqlite_insert_ignore(conn, table, rows, ()) is None:
        await conn.execute(insert_ignore(conn, table), rows)


# (table, columns, returned key) → (the row's values in column order, the columns to
# convert and how, columns, rows per statement, the statement for n rows), or None where
# the fast path does not apply.
_INSERT_PLANS: dict[tuple, tuple | None] = {}


def _sqlite_insert_ignore(conn: AsyncConnection, table: sa.Table, rows: list[dict], key: tuple) -> set[tuple] | None:
    """On SQLite, a batch insert through the driver: SQLAlchemy's executemany path spent
    more time building each row's parameters (``construct_params``, per-value processors
    behind several calls) than SQLite spent inserting them — 38 % of dispatch's batch.
    The values still go through each column type's own bind processor, so they are stored
    exactly as SQLAlchemy stores them. None (the caller uses SQLAlchemy) on PostgreSQL,
    when the rows do not all have the same columns, or when a column left out has a
    Python-side default that SQLAlchemy would fill in."""
    raw = sqlite_driver(conn)
    if raw is None:
        return None
    columns = tuple(rows[0])
    plan_key = (table, columns, key)
    plan = _INSERT_PLANS.get(plan_key, False)
    if plan is False:
        plan = _INSERT_PLANS[plan_key] = _insert_plan(conn, table, columns, key)
    if plan is None:
        return None
    getter, convert, width, per_statement, sql_for = plan
    flat = _parameters(rows, getter, convert, flat=True)
    if flat is None:
        return None
    inserted: set[tuple] = set()
    step = per_statement * width
    for i in range(0, len(flat), step):
        chunk = flat[i : i + step]
        inserted.update(raw.execute(sql_for(len(chunk) // width), chunk))
    return inserted


def _insert_plan(conn: AsyncConnection, table: sa.Table, columns: tuple, key: tuple):
    names = set(columns)
    if not names <= set(table.c.keys()) or not set(key) <= set(table.c.keys()):
        return None
    if any(c.default is not None and c.name not in names for c in table.columns):
        return None
    getter, convert = _row_plan(columns, [table.c[c].type for c in columns], conn.sync_connection.dialect)
    one_row = "(" + ", ".join("?" * len(columns)) + ")"
    head = f'INSERT INTO "{table.name}" (' + ", ".join(f'"{c}"' for c in columns) + ") VALUES "
    tail = " ON CONFLICT DO NOTHING" + (" RETURNING " + ", ".join(f'"{k}"' for k in key) if key else "")
    per_statement = max(1, min(500, 30_000 // len(columns)))
    statements: dict[int, str] = {}

    def sql_for(n: int) -> str:
        sql = statements.get(n)
        if sql is None:
            sql = statements[n] = head + ", ".join([one_row] * n) + tail
        return sql

    return getter, convert, len(columns), per_statement, sql_for


def _row_plan(names: Sequence[str], types: list, dialect) -> tuple[Callable, list]:
    """How a row (a dict) becomes its parameters: the values of ``names`` in order, and
    only the columns whose type converts a value, each by one call (a UtcDateTime's two
    steps, make it UTC and write it as text, are one function here)."""
    convert = [
        (i, sqlite_utc_text if isinstance(type_, UtcDateTime) else process)
        for i, type_ in enumerate(types)
        if (process := type_._cached_bind_processor(dialect)) is not None
    ]
    getter = operator.itemgetter(*names) if len(names) > 1 else (lambda row, c=names[0]: (row[c],))
    return getter, convert


async def execute_many(conn: AsyncConnection, stmt, rows: list[dict]) -> None:
    """``conn.execute(stmt, rows)`` for a statement run with many rows (an upsert of a
    batch), the same columns in every row. On SQLite through the driver, the statement
    compiled once: SQLAlchemy's executemany builds each row's parameters through several
    calls per value, which made billing's bookkeeping of closed work orders cost more than
    SQLite spent running it. Values still go through their column types' bind processors."""
    if not rows:
        return
    raw = sqlite_driver(conn)
    plan = None
    if raw is not None:
        columns = tuple(rows[0])
        plans = _MANY_PLANS.setdefault(stmt, {})
        plan = plans.get(columns, False)
        if plan is False:
            plan = plans[columns] = _many_plan(conn, stmt, columns)
    params = None if plan is None else _parameters(rows, plan[1], plan[2])
    if params is None:
        await conn.execute(stmt, rows)
        return
    raw.executemany(plan[0], params)


def _parameters(rows: list[dict], getter, convert: list, *, flat: bool = False) -> list | None:
    """Each row's values in parameter order (one list per row, or all in one list with
    ``flat``), converted where a column type converts (None if the rows do not all have the
    same columns). A batch's rows share many values (the instant the batch was applied, its
    deadlines, True and False): each distinct object is converted once per column."""
    first = rows[0].keys()
    done: list[dict[int, object]] = [{} for _ in convert]  # per column: id() of a value → converted
    params: list = []
    add = params.extend if flat else params.append
    for row in rows:
        if row.keys() != first:
            return None
        values = getter(row)
        if convert:
            values = list(values)
            for (i, process), seen in zip(convert, done):
                if (v := values[i]) is None:
                    continue
                # id() is safe: the rows hold every value until the statement has run
                converted = seen.get(id(v), seen)
                if converted is seen:
                    converted = seen[id(v)] = process(v)
                values[i] = converted
        add(values)
    return params


# statement → {columns: (SQL, the row's values in parameter order, conversions) or None}
_MANY_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _many_plan(conn: AsyncConnection, stmt, columns: tuple):
    """None where SQLAlchemy would add parameters of its own (a Python-side default)."""
    dialect = conn.sync_connection.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = compiled.positiontup
    if order is None or not set(order) <= set(columns):
        return None
    return compiled.string, *_row_plan(order, [compiled.binds[name].type for name in order], dialect)


def lock_skip_locked(conn: AsyncConnection, stmt: sa.Select) -> sa.Select:
    """Rows other replicas are working on are skipped (PostgreSQL); SQLite has one writer."""
    if conn.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


_database_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def database_key(conn: AsyncConnection) -> tuple[str, str | None]:
    """Which database (and on PostgreSQL which schema) a connection reaches, the same for
    the read pool and the writer: the key of an in-process cache of what that database
    holds. Worked out once per engine. (``Database.key``: the same without a connection.)"""
    return _engine_key(conn.sync_engine)


def _engine_key(engine: sa.Engine) -> tuple[str, str | None]:
    key = _database_keys.get(engine)
    if key is None:
        schema = (engine.get_execution_options().get("schema_translate_map") or {}).get(None)
        key = _database_keys[engine] = (str(engine.url), schema)
    return key


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[-1]


async def _checkpoint_every(path: str, every_s: float, finish: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(_checkpoint, path)
            await finish()
        except Exception as exc:  # the writer's automatic checkpoint is the backstop
            logger.warning("sqlite_checkpoint_failed", path=path, error=repr(exc))


def _checkpoint(path: str) -> None:
    # PASSIVE: as much as it can without waiting for (or blocking) readers and the writer.
    conn = sqlite3.connect(path, timeout=1)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


def _ensure_sqlite_dir(url: str) -> None:
    path = _sqlite_path(url)
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _sqlite_engine(url: str, *, writer: bool) -> AsyncEngine:
    engine = create_async_engine(
        inline_url(url),
        **JSON_CODEC,
        pool_size=1 if writer else 4,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Take transaction control from the driver so BEGIN and savepoints are ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns, so what a service answered (a 202
        # after a group commit) or acknowledged (an event after its batch) survives a power
        # loss, not only a crash of the process. WAL makes that one fsync per commit.
        cur.execute("PRAGMA synchronous=FULL")  # (the writer's turns keep it so: _sqlite_write)
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA wal_autocheckpoint=10000")  # the backstop: see start_checkpoints
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        # Straight to the driver: the same statement for every transaction, and SQLAlchemy's
        # execution path cost ten times what SQLite takes to run it.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine
