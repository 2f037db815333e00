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
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from libs.runtime.db.schema import upgrade
from libs.runtime.db.sqlite import SYNCHRONOUS, checkpoint_every, ensure_sqlite_dir, sqlite_driver, sqlite_engine, sqlite_path
from libs.runtime.db.types import JSON_CODEC

WROTE_OUTBOX = "plazadesk.wrote_outbox"


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
            ensure_sqlite_dir(url)
            self.writer = sqlite_engine(url, writer=True)
            self.reader = sqlite_engine(url, writer=False)
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
        """Create missing tables, add the columns and indexes of ``metadata`` an existing
        table lacks, drop retired indexes (schema.upgrade): what services did at every
        start-up before versioned migrations. Services no longer call it (their tables are
        the migration step's, libs/runtime/db/migrate.py); tests use it for tables they
        declare on the spot, and for the tables an older release left."""
        async with self.write() as conn:
            if self.schema:
                await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            await conn.run_sync(upgrade, metadata, self.schema)

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
        path = sqlite_path(self.url)
        if self.is_sqlite and path != ":memory:" and self._checkpoints is None:
            self._checkpoints = asyncio.create_task(
                checkpoint_every(path, every_s, self._finish_checkpoint), name="sqlite-checkpoint")

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

