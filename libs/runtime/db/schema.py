"""The start-up upgrade of the releases before versioned migrations: what a newer release
added to tables an older one created (columns, indexes), and indexes it retired. Now run
once by the migration step, to bring such a database to the baseline revision before
stamping it (migrate.py); services no longer run it at start-up."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import logging as log

logger = log.get("db")

RETIRED_INDEXES = "plazadesk.retired_indexes"  # a MetaData's info: see _drop_retired_indexes


def upgrade(sync_conn, metadata: sa.MetaData, schema: str | None) -> None:
    """Create missing tables, add the columns and indexes a newer release introduced, drop
    the indexes it replaced (see ``Database.create_all``)."""
    _drop_retired_indexes(sync_conn, metadata, schema)
    metadata.create_all(sync_conn)
    _add_missing_columns(sync_conn, metadata, schema)
    _add_missing_indexes(sync_conn, metadata)


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
