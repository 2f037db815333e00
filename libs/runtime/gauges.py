"""The gauges read at each scrape of /metrics: what is waiting now.

- each consumer of the service: pending (on the stream, not yet given), waiting for its
  acknowledgement, being redelivered (JetStream's consumer info);
- the outbox: rows not yet published and the age of the oldest (a broker that is down, or a
  relay that is stuck, shows here first);
- events the relay set aside (``failed_events``) and the dead letters of each consumer (the
  DEADLETTER stream's count per subject);
- the service's own gauges (``Runtime.gauge``), e.g. dispatch's work orders by status.

Each source is asked with a short timeout; one that does not answer leaves its gauges as
they were and counts ``plazadesk_scrape_errors_total`` — a scrape never hangs on a broker
that is away (which is exactly when the outbox gauges matter)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import dead_letter_subject, utcnow
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.uow import FAILED_EVENTS

if TYPE_CHECKING:
    from libs.runtime.service import Runtime

logger = log.get("metrics")

ASK_TIMEOUT_S = 1.0
# A service's own gauges: read in a read transaction at each scrape.
OwnGauge = Callable[[AsyncConnection], Awaitable[None]]


async def refresh(runtime: "Runtime") -> None:
    await asyncio.gather(_outbox(runtime), _consumers(runtime), _dead_letters(runtime), _own(runtime))


async def _guarded(runtime: "Runtime", source: str, job: Awaitable) -> None:
    try:
        await asyncio.wait_for(job, ASK_TIMEOUT_S)
    except Exception as exc:  # the source did not answer: the gauges keep their last reading
        metrics.SCRAPE_ERRORS.labels(runtime.service, source).inc()
        logger.info("metrics_source_unread", source=source, error=repr(exc)[:200])


async def _outbox(runtime: "Runtime") -> None:
    async def read() -> None:
        o = runtime.outbox_table
        failed = runtime.metadata.tables[FAILED_EVENTS]
        async with runtime.db.read() as conn:
            waiting, oldest = (await conn.execute(
                sa.select(sa.func.count(), sa.func.min(o.c.created_at)).where(o.c.published_at.is_(None))
            )).one()
            aside = (await conn.execute(sa.select(sa.func.count()).select_from(failed))).scalar_one()
        metrics.OUTBOX_BACKLOG.labels(runtime.service).set(waiting)
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0  # UtcDateTime: aware
        metrics.OUTBOX_OLDEST_AGE.labels(runtime.service).set(max(age, 0.0))
        metrics.SET_ASIDE_EVENTS.labels(runtime.service).set(aside)

    await _guarded(runtime, "outbox", read())


async def _consumers(runtime: "Runtime") -> None:
    js = runtime.broker.js
    if js is None or not runtime.broker.is_connected:
        metrics.SCRAPE_ERRORS.labels(runtime.service, "consumers").inc()
        return

    async def one(stream: str, durable: str) -> None:
        info = await js.consumer_info(stream, durable, timeout=ASK_TIMEOUT_S)
        metrics.CONSUMER_PENDING.labels(runtime.service, durable).set(info.num_pending or 0)
        metrics.CONSUMER_ACK_PENDING.labels(runtime.service, durable).set(info.num_ack_pending or 0)
        metrics.CONSUMER_REDELIVERED.labels(runtime.service, durable).set(info.num_redelivered or 0)

    await asyncio.gather(*(_guarded(runtime, f"consumer:{p.durable}", one(p.stream, p.durable))
                           for p in runtime.consumers.pulls))


async def _dead_letters(runtime: "Runtime") -> None:
    js = runtime.broker.js
    if js is None or not runtime.broker.is_connected or not runtime.consumers.pulls:
        return

    async def read() -> None:
        info = await js.stream_info(DEAD_LETTER_STREAM, subjects_filter=dead_letter_subject(runtime.service, "*"))
        counts = info.state.subjects or {}
        for pull in runtime.consumers.pulls:
            metrics.DEAD_LETTERS.labels(runtime.service, pull.durable).set(
                counts.get(dead_letter_subject(runtime.service, pull.durable), 0))

    await _guarded(runtime, "dead_letters", read())


async def _own(runtime: "Runtime") -> None:
    for name, gauge in runtime.own_gauges:
        async def read(gauge=gauge) -> None:
            async with runtime.db.read() as conn:
                await gauge(conn)

        await _guarded(runtime, name, read())

