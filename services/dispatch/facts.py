"""Dispatch's own copy of archive's plazas and units (the tables are in tables.py):
recording archive's events into it, and checking an event or a command against it."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime import replica
from libs.runtime.errors import NotFound
from libs.runtime.uow import Tx
from services.dispatch.tables import plazas, units


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as dispatch's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, plazas, units, events)


async def require_known_facts(tx: Tx, events: list) -> None:
    """Nothing is done for a plaza or unit archive has not registered (UnknownFact: the
    consumer waits for archive's facts a while, then dead-letters the event)."""
    await replica.require_known(tx.conn, plazas, units, events)


async def require_plaza(conn, plaza_id: str) -> None:
    """A plaza's own settings (routing rules, SLA policy) are kept only for a registered plaza."""
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    if (await conn.execute(q)).first() is None:
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
