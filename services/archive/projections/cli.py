"""Rebuild archive's projections by replaying every stream from the start.

The one place archive reads the streams with plain nats-py: an ephemeral ordered consumer
per stream (no durable state left behind, messages in stream order), decoded with the
stream's own union. ``rebuild`` is what ``python -m services.archive rebuild`` runs; it
writes through the service's database in one transaction, so readers see either the old
projections or the rebuilt ones, never half of each.
"""

from __future__ import annotations

import asyncio

import msgspec
import nats
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from libs.contracts import STREAMS, Event
from libs.contracts.events import DECODERS
from libs.runtime import logging as log
from libs.runtime.db import Database, migrate
from libs.runtime.uow import Tx
from libs.runtime.settings import nats_servers
from services.archive import tables
from services.archive.projections import services as projections
from services.archive.settings import Settings

logger = log.get("archive.replay")

# Archive's own stream first: a unit's revisions are summarised against the one before.
REPLAYED = ("archive", "intake", "dispatch", "survey", "billing", "notices")
IDLE_S = 5.0


async def read_streams(nats_url: str, plaza_id: str | None = None) -> list[Event]:
    nc = await nats.connect(nats_servers(nats_url))  # a cluster's URL lists several servers
    try:
        js = nc.jetstream()
        events: list[Event] = []
        for service in REPLAYED:
            events += await _read_stream(js, service, plaza_id)
        return events
    finally:
        await nc.close()


async def _read_stream(js, service: str, plaza_id: str | None) -> list[Event]:
    spec = STREAMS[service]
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        return []  # that service has never run: nothing of it to replay
    subject = spec.subject(plaza_id, ">") if plaza_id else spec.subject(">")
    sub = await js.subscribe(subject, stream=spec.name, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    events: list[Event] = []
    try:
        info = await sub.consumer_info()
        # Messages may already be on their way to us: those count as pending too.
        pending = info.num_pending + info.delivered.consumer_seq
        while pending:
            msg = await sub.next_msg(timeout=IDLE_S)
            pending = msg.metadata.num_pending
            try:
                events.append(DECODERS[service].decode(msg.data))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                # The live consumer dead-lettered it too; the replay skips it the same way.
                logger.warning("replay_undecodable", stream=spec.name, seq=msg.metadata.sequence.stream, error=str(exc))
    finally:
        await sub.unsubscribe()
    logger.info("replay_stream_read", stream=spec.name, events=len(events))
    return events


async def rebuild(settings: Settings, plaza_id: str | None = None) -> projections.RebuildReport:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await migrate.require_head(db, tables.metadata, "archive")  # tables: python -m scripts.migrate
        events = await read_streams(settings.nats_url, plaza_id)
        async with db.write() as conn:
            report = await projections.rebuild_projections(Tx(conn, tables.outbox, tables.inbox), plaza_id, events)
    finally:
        await db.dispose()
    logger.info("projections_rebuilt", plaza_id=plaza_id, events=report.events, filed=report.filed)
    return report


def main(settings: Settings, plaza_id: str | None) -> None:
    report = asyncio.run(rebuild(settings, plaza_id))
    print(f"replayed {report.events} events, {report.filed} filed on unit timelines")
