"""Batch statements for either dialect: ``INSERT … ON CONFLICT DO NOTHING`` of many rows,
an executemany compiled once, and row locks other replicas skip."""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.db.sqlite import sqlite_driver
from libs.runtime.db.types import UtcDateTime, sqlite_utc_text


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
