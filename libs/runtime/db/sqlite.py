"""SQLite-only helpers: the engines (one writer, WAL, FULL sync), the driver's connection
under SQLAlchemy's, and WAL checkpoints from a worker thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from libs.runtime import logging as log
from libs.runtime.db.sqlite_inline import inline_url
from libs.runtime.db.types import JSON_CODEC

logger = log.get("db")

SYNCHRONOUS = "plazadesk.sqlite_synchronous"  # the writer's current level, in its connection info


def sqlite_driver(conn: AsyncConnection) -> sqlite3.Connection | None:
    """On SQLite, the driver's connection under ``conn`` (in ``conn``'s transaction), for
    the runtime's own statements that run for every batch and every relay round (inbox,
    outbox): through SQLAlchemy's execution path each cost 10-20 times what SQLite takes
    to run it. None on PostgreSQL, where those statements go through SQLAlchemy."""
    if conn.dialect.name != "sqlite":
        return None
    return conn.sync_connection.connection.driver_connection


def sqlite_path(url: str) -> str:
    return url.split(":///", 1)[-1]


async def checkpoint_every(path: str, every_s: float, finish: Callable[[], Awaitable[None]]) -> None:
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


def ensure_sqlite_dir(url: str) -> None:
    path = sqlite_path(url)
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def sqlite_engine(url: str, *, writer: bool) -> AsyncEngine:
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
