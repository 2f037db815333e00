"""The operator's tools for events the relay set aside: listed with their reason, put back
in the outbox once the cause is fixed (the relay then publishes them), or discarded with a
reason; each only once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from libs.runtime import setaside
from services.intake import tables
from tests.support.harness import service_database

REFUSED = {"event_id": "0193b000-0000-7000-8000-00000000000a", "event_type": "RequestReceived",
           "subject": "plazadesk.intake.p1.request.received", "payload": b'{"type":"RequestReceived","id":"a"}',
           "created_at": dt.datetime(2026, 12, 5, 8, tzinfo=dt.timezone.utc),
           "failed_at": dt.datetime(2026, 12, 5, 8, 0, 1, tzinfo=dt.timezone.utc),
           "reason": "larger than the broker's max_payload (8 MiB)"}


async def test_set_aside_events_are_listed_replayed_and_discarded(db_kind, tmp_path, cleanup_schemas):
    failed = tables.metadata.tables["failed_events"]
    async with service_database(db_kind, tmp_path, cleanup_schemas, "intake", tables.metadata) as db:
        async with db.write() as conn:
            await conn.execute(failed.insert(), [REFUSED, {**REFUSED, "event_id": "0193b000-0000-7000-8000-00000000000b"}])

        listed = await setaside.listed(db, tables.metadata)
        assert [r["event_id"] for r in listed] == [REFUSED["event_id"], "0193b000-0000-7000-8000-00000000000b"]
        assert listed[0]["reason"].startswith("larger than")
        assert (await setaside.show(db, tables.metadata, REFUSED["event_id"]))["payload"] == REFUSED["payload"]

        replayed = await setaside.replay(db, tables.metadata, REFUSED["event_id"])
        assert replayed["subject"] == REFUSED["subject"]
        async with db.read() as conn:
            back = (await conn.execute(sa.select(tables.outbox).where(tables.outbox.c.event_id == REFUSED["event_id"]))).one()
        assert back.payload == REFUSED["payload"] and back.published_at is None  # the relay's to publish
        with pytest.raises(LookupError):
            await setaside.replay(db, tables.metadata, REFUSED["event_id"])  # once

        with pytest.raises(ValueError, match="reason"):
            await setaside.discard(db, tables.metadata, "0193b000-0000-7000-8000-00000000000b", " ")
        await setaside.discard(db, tables.metadata, "0193b000-0000-7000-8000-00000000000b", "a test event")
        assert await setaside.listed(db, tables.metadata) == []
