"""The runtime's set-based write helper on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime.db import Database, insert_ignore_many
from libs.runtime.testing import database_settings


async def test_insert_ignore_many_reports_which_rows_were_new(db_kind, tmp_path, cleanup_schemas):
    settings = database_settings(db_kind, tmp_path, "probe")
    if "database_schema" in settings:
        cleanup_schemas.append(settings["database_schema"])
    url = settings.get("database_url") or f"sqlite+aiosqlite:///{tmp_path}/probe.db"
    db = Database(url, schema=settings.get("database_schema"))
    metadata = sa.MetaData()
    visits = sa.Table(
        "visits", metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("work_order_id", sa.String(40), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.UniqueConstraint("work_order_id", "round"),
    )
    await db.create_all(metadata)
    try:
        async with db.write() as conn:
            first = await insert_ignore_many(conn, visits, [
                {"id": "v1", "work_order_id": "wo-1", "round": 0},
                {"id": "v2", "work_order_id": "wo-2", "round": 0},
            ], ["work_order_id", "round"])
        async with db.write() as conn:
            second = await insert_ignore_many(conn, visits, [
                {"id": "v3", "work_order_id": "wo-1", "round": 0},  # already there under v1
                {"id": "v4", "work_order_id": "wo-1", "round": 1},
            ], ["work_order_id", "round"])
            assert await insert_ignore_many(conn, visits, [], ["id"]) == set()
        async with db.read() as conn:
            ids = (await conn.execute(sa.select(visits.c.id).order_by(visits.c.id))).scalars().all()
    finally:
        await db.dispose()
    assert first == {("wo-1", 0), ("wo-2", 0)}
    assert second == {("wo-1", 1)}
    assert ids == ["v1", "v2", "v4"]
