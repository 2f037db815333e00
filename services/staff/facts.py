"""Staff's copy of archive's plazas (the table is in tables.py): a person is given roles
only at a plaza archive registered (404 otherwise, through the runtime's plaza guard)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from libs.contracts.archive import plaza_zone
from libs.contracts.events import PlazaRegistered
from libs.runtime.uow import Tx
from services.staff.tables import plazas


async def record_plazas(tx: Tx, events: list) -> None:
    """A batch of PlazaRegistered (the latest name wins), one statement."""
    rows = {e.plaza_id: {"plaza_id": e.plaza_id, "name": e.name, "timezone": e.timezone}
            for e in events if isinstance(e, PlazaRegistered)}
    if not rows:
        return
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(plazas)
    stmt = stmt.on_conflict_do_update(index_elements=[plazas.c.plaza_id], set_={"name": stmt.excluded.name,
                                                                                  "timezone": stmt.excluded.timezone})
    await tx.conn.execute(stmt, list(rows.values()))


async def zone(conn, plaza_id: str) -> dt.tzinfo:
    """The zone the plaza counts its days in (the default one until archive tells it)."""
    found = (await conn.execute(sa.select(plazas.c.timezone).where(plazas.c.plaza_id == plaza_id))).scalar()
    return plaza_zone(found)
