"""Dispatch's own copies of what other services publish (the tables are in tables.py):
archive's plazas and units, and the staff service's people at each plaza. Recording their
events into them, and checking an event or a command against them."""

from __future__ import annotations


import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from libs.contracts.staff import StaffChanged, StaffJoined, StaffLeft
from libs.runtime import replica
from libs.runtime.errors import NotFound
from libs.runtime.uow import Tx
from services.dispatch.tables import plazas, staff, units


async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as dispatch's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, plazas, units, events)


async def require_known_facts(tx: Tx, events: list) -> None:
    """Nothing is done for a plaza or unit archive has not registered (UnknownFact: the
    consumer waits for archive's facts a while, then dead-letters the event). A request
    about a public area, or from a caller who is no occupant, names no unit (``""``): only
    its plaza must be known."""
    await replica.require_known(tx.conn, plazas, units, events)


async def require_plaza(conn, plaza_id: str) -> None:
    """A plaza's own settings (routing rules, SLA policy) are kept only for a registered plaza."""
    q = sa.select(plazas.c.plaza_id).where(plazas.c.plaza_id == plaza_id)
    if (await conn.execute(q)).first() is None:
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")


async def record_staff_facts(tx: Tx, events: list) -> None:
    """The staff service's people at each plaza, one statement for the batch. StaffJoined
    and StaffChanged carry the whole record; StaffLeft keeps the person as no longer at the
    plaza. The newest event wins whatever order copies arrive in (a redelivered older one
    changes nothing). Staff's events need no archive check: nothing is opened for them."""
    rows = [_staff_row(e) for e in events if isinstance(e, (StaffJoined, StaffChanged, StaffLeft))]
    if not rows:
        return
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(staff)
    stmt = stmt.on_conflict_do_update(
        index_elements=[staff.c.plaza_id, staff.c.username],
        set_={c: stmt.excluded[c] for c in ("name", "department", "active", "at_plaza", "occurred_at", "roles", "post")},
        where=stmt.excluded.occurred_at >= staff.c.occurred_at,
    )
    await tx.conn.execute(stmt, rows)


def _staff_row(event: StaffJoined | StaffChanged | StaffLeft) -> dict:
    key = {"plaza_id": event.plaza_id, "username": event.username, "occurred_at": event.occurred_at}
    if isinstance(event, StaffLeft):
        return {**key, "name": None, "department": None, "active": False, "at_plaza": False, "roles": [], "post": None}
    return {**key, "name": event.name, "department": event.department, "active": event.active, "at_plaza": True,
            "roles": list(event.roles), "post": event.post}


async def staff_member(conn, plaza_id: str, username: str) -> dict | None:
    """The person as this plaza's copy knows them, or None (never heard of, or left)."""
    q = sa.select(staff).where(staff.c.plaza_id == plaza_id, staff.c.username == username, staff.c.at_plaza)
    row = (await conn.execute(q)).mappings().first()
    return dict(row) if row else None
