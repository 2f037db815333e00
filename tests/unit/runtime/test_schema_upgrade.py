"""An older release's database keeps working after an upgrade adds columns."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime.db import Database


async def test_new_columns_are_added_to_existing_tables(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/svc.db"
    old = sa.MetaData()
    sa.Table("units", old, sa.Column("id", sa.String(10), primary_key=True))
    db = Database(url)
    await db.create_all(old)
    async with db.write() as conn:
        await conn.execute(sa.text("INSERT INTO units (id) VALUES ('A-1')"))
    await db.dispose()

    new = sa.MetaData()
    units = sa.Table(
        "units", new,
        sa.Column("id", sa.String(10), primary_key=True),
        sa.Column("building", sa.String(10), nullable=True),
        sa.Column("key_account", sa.Boolean, nullable=False, default=False),
    )
    db = Database(url)
    await db.create_all(new)
    async with db.read() as conn:
        row = (await conn.execute(sa.select(units))).one()
    await db.dispose()
    assert row.id == "A-1" and row.building is None and row.key_account is False
