"""A service's database to a file and back: SQLite through its online backup API, a
PostgreSQL schema through pg_dump and pg_restore (custom format). Whatever tables the
database holds are taken, a migration tool's version table with them: a restore gives the
database back as it was, however its tables were made."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from libs.runtime.db.sqlite import sqlite_path
from libs.runtime.db.types import sqlite_utc_text


class DatabaseBackupError(RuntimeError):
    pass


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# -- SQLite -------------------------------------------------------------------------------

def sqlite_backup(url: str, target: Path) -> list[str]:
    """A consistent copy of the file while its service writes: the online backup API in
    one step reads every page inside one read transaction, which in WAL mode blocks no
    writer (done in steps, a copy restarts whenever another connection writes, and may
    never end under a steady flow of writes). Returns the copy's tables."""
    source_path = sqlite_path(url)
    if not Path(source_path).is_file():
        raise DatabaseBackupError(f"no SQLite database at {source_path}")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        checked = copy.execute("PRAGMA quick_check").fetchone()[0]
        if checked != "ok":
            raise DatabaseBackupError(f"the copy of {source_path} fails its check: {checked}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return [r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        copy.close()
        source.close()


def sqlite_holds_data(url: str) -> bool:
    path = Path(sqlite_path(url))
    return path.is_file() and path.stat().st_size > 0


def sqlite_in_use(url: str) -> bool:
    """Whether a process has the file open (a service still running). Leaving WAL mode
    needs the only connection to the file, and a service keeps its writer open; the file
    is about to be replaced, so its journal mode does not matter any more."""
    path = Path(sqlite_path(url))
    if not path.is_file():
        return False
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        return False
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            return True
        raise
    finally:
        conn.close()


def sqlite_restore(url: str, source: Path) -> None:
    """The copy in place of the service's file. The old file's write-ahead log goes first:
    left beside the restored file, SQLite would apply it to pages it never belonged to."""
    target = Path(sqlite_path(url))
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, staged)
    with open(staged, "rb") as f:
        os.fsync(f.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


# -- PostgreSQL ---------------------------------------------------------------------------

def libpq_env(url: str) -> dict[str, str]:
    """pg_dump's and pg_restore's connection from a SQLAlchemy URL, in the environment:
    a password in their command line would show in the process list."""
    parsed = sa.engine.make_url(url)
    env = {**os.environ}
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                        ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value:
            env[name] = str(value)
    return env


def _run(args: list[str], url: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise DatabaseBackupError(f"{args[0]} not found: install the PostgreSQL client tools")
    done = subprocess.run([tool, *args[1:]], env=libpq_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise DatabaseBackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def pg_backup(url: str, schema: str, target: Path) -> None:
    """The service's schema, every table and sequence in it, as one consistent dump."""
    _run(["pg_dump", "--format=custom", f"--schema={schema}", "--no-owner", "--no-privileges",
          f"--file={target}"], url)


async def pg_tables(url: str, schema: str) -> list[str]:
    """The schema's tables (none: an empty or missing schema)."""
    conn = await _connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
        return [r["tablename"] for r in rows]
    finally:
        await conn.close()


async def pg_restore(url: str, backup_schema: str, schema: str, source: Path, *, replace: bool) -> None:
    """The dump into ``schema`` (dropped first with ``replace``). A dump of another schema
    name is restored under its own name and then renamed, which that name must allow."""
    conn = await _connect(url)
    try:
        if replace:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        else:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}"')  # empty: the restore creates it
        if backup_schema != schema:
            if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", backup_schema):
                raise DatabaseBackupError(f"the backup's schema {backup_schema!r} exists in this database: "
                                          f"cannot restore it as {schema!r}")
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={sa.engine.make_url(url).database}", str(source)], url)
        if backup_schema != schema:
            await conn.execute(f'ALTER SCHEMA "{backup_schema}" RENAME TO "{schema}"')
    finally:
        await conn.close()


async def _connect(url: str):
    import asyncpg

    parsed = sa.engine.make_url(url)
    return await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                 password=parsed.password, database=parsed.database)


# -- The outbox after a restore ------------------------------------------------------------

async def published_since(url: str, schema: str, since: dt.datetime) -> list[str]:
    """The ids of the outbox rows marked published at or after ``since`` (none when the
    database has no outbox)."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone():
                return []
            rows = conn.execute("SELECT event_id FROM outbox WHERE published_at >= ?", (sqlite_utc_text(since),))
            return [r[0] for r in rows]
        finally:
            conn.close()
    conn = await _connect(url)
    try:
        if not await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".outbox'):
            return []
        rows = await conn.fetch(f'SELECT event_id FROM "{schema}".outbox WHERE published_at >= $1', since)
        return [r["event_id"] for r in rows]
    finally:
        await conn.close()


async def publish_again(url: str, schema: str, event_ids: list[str]) -> None:
    """The rows marked unpublished: the service's relay publishes them when it starts."""
    if not event_ids:
        return
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            with conn:
                conn.executemany("UPDATE outbox SET published_at = NULL WHERE event_id = ?", [(i,) for i in event_ids])
        finally:
            conn.close()
        return
    conn = await _connect(url)
    try:
        await conn.execute(f'UPDATE "{schema}".outbox SET published_at = NULL WHERE event_id = ANY($1::text[])', event_ids)
    finally:
        await conn.close()
