"""Each service keeps its own copy of the facts other services publish (plazas and units
from archive). The tables are the service's own; the way they are kept is the same."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(conn: AsyncConnection, table: sa.Table, key: dict, values: dict) -> None:
    """Update the row with ``key`` or insert it."""
    where = [table.c[k] == v for k, v in key.items()]
    updated = await conn.execute(table.update().where(*where).values(**values))
    if updated.rowcount == 0:
        await conn.execute(table.insert().values(**key, **values))


async def upsert_newest(conn: AsyncConnection, table: sa.Table, key: dict, values: dict) -> bool:
    """Keep the newest ``revision``: an older version arriving late changes nothing.
    Returns whether the row changed."""
    where = [table.c[k] == v for k, v in key.items()]
    current = (await conn.execute(sa.select(table.c.revision).where(*where))).scalar_one_or_none()
    if current is None:
        await conn.execute(table.insert().values(**key, **values))
        return True
    if values["revision"] > current:
        await conn.execute(table.update().where(*where).values(**values))
        return True
    return False


async def upsert_newest_many(conn: AsyncConnection, table: sa.Table, key: list[str], rows: list[dict]) -> None:
    """``upsert_newest`` for a batch, in one statement: each row is inserted, or replaces
    the stored one only if its ``revision`` is newer (rows are applied in order, so two
    revisions of one unit in a batch end with the newest whatever their order)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    changing = [c for c in rows[0] if c not in key]
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_={c: stmt.excluded[c] for c in changing},
        where=stmt.excluded.revision > table.c.revision,
    )
    await conn.execute(stmt, rows)


def plazas_table(metadata: sa.MetaData, *extra: sa.Column) -> sa.Table:
    """A service's copy of the plazas archive registers, with the facts it needs."""
    return sa.Table(
        "plazas",
        metadata,
        sa.Column("plaza_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        *extra,
    )


def units_table(metadata: sa.MetaData, *extra: sa.Column) -> sa.Table:
    """A service's copy of archive's units: key, the revision ``upsert_newest`` compares,
    and whichever unit facts the service needs."""
    return sa.Table(
        "units",
        metadata,
        sa.Column("plaza_id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        *extra,
    )
