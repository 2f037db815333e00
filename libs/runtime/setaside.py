"""The operator's tools for events the relay set aside: list, show, replay, discard.

An event the broker refused for good (larger than its ``max_payload``, over a stream's
limits) never reached a stream: the relay moved it from the outbox to the service's
``failed_events`` table with the reason, so the events behind it could flow on
(libs.runtime.relay). Once the cause is fixed (the broker's ``max_payload`` raised, the
stream's limits changed), ``replay`` puts it back in the outbox in one transaction and the
service's relay publishes it (set aside again, with the new reason, if the cause remains);
``discard`` removes it for good. Both are audited with the dead letters' (the ``OPSAUDIT``
stream, libs.runtime.deadletters)."""

from __future__ import annotations

import sqlalchemy as sa

from libs.contracts import utcnow
from libs.runtime.db import Database, insert_ignore_rows
from libs.runtime.uow import FAILED_EVENTS

# The audit trail's actions for them (libs.runtime.deadletters.record), from the CLI and the
# services' own routes alike; a service's NATS user may publish these two and no other.
REPLAYED = "set_aside_replayed"
DISCARDED = "set_aside_discarded"


def _tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    return metadata.tables["outbox"], metadata.tables[FAILED_EVENTS]


async def listed(db: Database, metadata: sa.MetaData) -> list[dict]:
    _, failed = _tables(metadata)
    async with db.read() as conn:
        rows = await conn.execute(sa.select(failed).order_by(failed.c.failed_at))
        return [dict(r._mapping) for r in rows]


async def show(db: Database, metadata: sa.MetaData, event_id: str) -> dict:
    _, failed = _tables(metadata)
    async with db.read() as conn:
        row = (await conn.execute(sa.select(failed).where(failed.c.event_id == event_id))).first()
    if row is None:
        raise LookupError(f"no event {event_id} set aside (replayed or discarded already?)")
    return dict(row._mapping)


async def replay(db: Database, metadata: sa.MetaData, event_id: str) -> dict:
    """Back into the outbox, out of ``failed_events``, in one transaction."""
    outbox, failed = _tables(metadata)
    async with db.write() as conn:
        row = (await conn.execute(sa.select(failed).where(failed.c.event_id == event_id))).first()
        if row is None:
            raise LookupError(f"no event {event_id} set aside (replayed or discarded already?)")
        await insert_ignore_rows(conn, outbox, [{"event_id": row.event_id, "subject": row.subject,
                                                 "payload": row.payload, "created_at": utcnow(), "attempts": 0}])
        await conn.execute(failed.delete().where(failed.c.event_id == event_id))
    return dict(row._mapping)


async def discard(db: Database, metadata: sa.MetaData, event_id: str, reason: str) -> dict:
    if not reason.strip():
        raise ValueError("a discard needs a reason")
    _, failed = _tables(metadata)
    async with db.write() as conn:
        row = (await conn.execute(sa.select(failed).where(failed.c.event_id == event_id))).first()
        if row is None:
            raise LookupError(f"no event {event_id} set aside (replayed or discarded already?)")
        await conn.execute(failed.delete().where(failed.c.event_id == event_id))
    return dict(row._mapping)
