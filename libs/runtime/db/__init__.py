"""Storage, the same for every service: ``Database`` (SQLite or PostgreSQL), column types,
versioned migrations of the tables, batch statements and SQLite's own fast paths.

    database  the engines, the single SQLite writer, WAL checkpoints
    types     UtcDateTime, how SQLite stores times, the JSON codec
    migrate   Alembic migrations: the migration step, the start-up check, new revisions
    schema    the start-up upgrade of releases before migrations (adopting their tables)
    bulk      insert_ignore*, execute_many, lock_skip_locked
    sqlite    SQLite-only helpers (the engines' settings, the driver's connection)
    sqlite_inline  the SQLite dialect that runs statements on the event loop
"""

from libs.runtime.db.bulk import execute_many, insert_ignore, insert_ignore_many, insert_ignore_rows, lock_skip_locked
from libs.runtime.db.database import WROTE_OUTBOX, Database, database_key, wrote_outbox
from libs.runtime.db.schema import RETIRED_INDEXES
from libs.runtime.db.sqlite import sqlite_driver
from libs.runtime.db.types import JSON_CODEC, UtcDateTime, sqlite_utc_text

__all__ = [
    "JSON_CODEC", "RETIRED_INDEXES", "WROTE_OUTBOX", "Database", "UtcDateTime", "database_key", "execute_many",
    "insert_ignore", "insert_ignore_many", "insert_ignore_rows", "lock_skip_locked", "sqlite_driver",
    "sqlite_utc_text", "wrote_outbox",
]
