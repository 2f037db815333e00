"""Each service keeps its own copy of the facts other services publish (plazas and units
from archive). The tables are the service's own; the way they are kept is the same."""

from __future__ import annotations

import sqlalchemy as sa
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
