"""The outbox relay.

A use case writes its state and its events in one transaction (``libs.runtime.uow.Tx``); the relay
publishes unpublished rows oldest first with ``Nats-Msg-Id = event id`` (JetStream drops a
duplicate within its window), marks them published, and retries what failed until it is
published. It wakes the moment a write commits and polls only as a fallback. Several
replicas can relay the same table on PostgreSQL (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import namedtuple
from collections.abc import Awaitable, Callable

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import utcnow
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.db import Database, insert_ignore_rows, lock_skip_locked, sqlite_driver, sqlite_utc_text
from libs.runtime.uow import FAILED_EVENTS, RefusedForGood

logger = log.get("outbox")


# Rounds of fewer rows are published one by one (pipelined), larger ones as atomic
# batches. nats-server 2.15 stages each atomic batch in a store of its own (a directory
# and files, fsynced, created and removed), about 2 ms of its CPU and 3.7 ms until the ack
# whatever the size; a single publish costs it 0.15-0.5 ms. Measured here, 100 rounds/s
# with fsync per write, server CPU per round single / atomic: 5 rows 1.1 / 2.1 ms,
# 10 rows 1.5 / 2.2, 30 rows 2.8 / 2.2, 100 rows 9.0 / 3.0.
ATOMIC_FROM = 24
MARK_AT = 2000  # published rows marked together at the latest (SQLite)
_OutboxRow = namedtuple("_OutboxRow", "seq event_id subject payload traceparent")


# Sends one event and returns its acknowledgement to await (a future), or None when the
# publish was already acknowledged.
Publish = Callable[[str, bytes, str, str | None], Awaitable[Awaitable | None]]


class Relay:
    """Publishes the outbox oldest first until each row is published. A row the broker
    refuses for good (``RefusedForGood``) is set aside into ``failed_events`` (logged as
    ``outbox_event_set_aside``, counted in ``plazadesk_outbox_set_aside_total``) so it never
    holds up the rows behind it; any other failure is retried."""

    def __init__(
        self,
        db: Database,
        outbox: sa.Table,
        publish: Publish,
        *,
        service: str,
        batch: int = 500,
        poll_s: float = 1.0,
        ack_timeout_s: float = 10.0,
        keep_published: dt.timedelta = dt.timedelta(days=1),
        mark_every_s: float = 0.5,
        linger_s: float = 0.0,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.publish = publish
        self.service = service
        self.batch = batch
        self.poll_s = poll_s
        self.ack_timeout_s = ack_timeout_s
        self.keep_published = keep_published
        self.mark_every_s = mark_every_s
        self.linger_s = linger_s
        self._query = unpublished(outbox, batch)
        self.failed_events = outbox.metadata.tables[FAILED_EVENTS]
        # When the relay's rounds began to fail (None while they succeed): /health fails
        # once it has been unable to publish for long (ServiceSettings.health_grace_s).
        self.failing_since: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        # SQLite: rows published but not yet marked so (marked together, see _publish_sqlite).
        self._unmarked: list[int] = []
        self._unmarked_since = 0.0
        db.after_commit(self._wake.set)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        backoff = 0.05
        rounds = 0
        while not self._stopping:
            try:
                sent = await self.relay_once()
                backoff = 0.05
                self.failing_since = None
                rounds += 1
                if self._unmarked and (
                    len(self._unmarked) >= MARK_AT or time.monotonic() - self._unmarked_since >= self.mark_every_s
                ):
                    await self.mark_published()
                if rounds % 1000 == 0:
                    await self.mark_published()
                    await self.purge()
                if sent == self.batch:
                    continue  # more waiting: keep draining
            except Exception as exc:  # the relay must never die: retry what failed
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                logger.warning("outbox_relay_failed", error=repr(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            timeout = self.poll_s
            if self._unmarked:
                timeout = min(timeout, max(self._unmarked_since + self.mark_every_s - time.monotonic(), 0.0))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass
            else:
                if self.linger_s and not self._stopping:
                    # Woken by a commit: what the next commits write meanwhile joins this
                    # round (see ServiceSettings.relay_linger_s).
                    await asyncio.sleep(self.linger_s)
            self._wake.clear()
        try:
            await self.mark_published()
        except Exception as exc:  # harmless: unmarked rows are published again, and dropped as copies
            logger.warning("outbox_marks_lost", rows=len(self._unmarked), error=repr(exc))

    def failing_for(self) -> float:
        """How long the relay has been unable to publish (0 while its rounds succeed)."""
        return 0.0 if self.failing_since is None else time.monotonic() - self.failing_since

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published or set
        aside."""
        if self.db.is_sqlite:
            rows, done, aside = await self._publish_sqlite()
        else:
            async with self.db.writer.begin() as conn:
                rows = (await conn.execute(lock_skip_locked(conn, self._query))).all()
                done, aside = await self._publish_rows(rows)
                await self._set_aside(conn, aside)
                rows = [r for r in rows if r.seq not in aside]
                await self._mark(conn, [r.seq for r in rows], done)
            self._report_set_aside(aside)
        if len(done) < len(rows):
            raise RuntimeError(f"{len(rows) - len(done)} outbox rows not yet published")
        return len(done) + len(aside)

    async def _publish_sqlite(self) -> tuple[list, set[int], dict]:
        """One relay per SQLite file: read without holding the single writer while
        publishing. Published rows are marked so in one short write per ``mark_every_s``
        (or ``MARK_AT`` rows), not one per round: the next rounds read past them (``seq`` is
        given out in commit order by the single writer). Until marked they count as
        unpublished on disk; after a crash they are published again and JetStream (same
        ``Nats-Msg-Id``) or the consumers' inboxes drop the copies. A failed round marks at
        once, and the next reads from the oldest unpublished row again."""
        after = self._unmarked[-1] if self._unmarked else 0
        async with self.db.read() as conn:
            rows = [_OutboxRow(*r) for r in sqlite_driver(conn).execute(
                f"SELECT seq, event_id, subject, payload, traceparent FROM {self.outbox.name} "
                "WHERE published_at IS NULL AND seq > ? ORDER BY seq LIMIT ?", (after, self.batch))]
        done, aside = await self._publish_rows(rows)
        if aside:  # gone from the outbox: no round reads them again
            async with self.db.write() as conn:
                await self._set_aside(conn, aside)
            self._report_set_aside(aside)
            rows = [r for r in rows if r.seq not in aside]
        if len(done) == len(rows):
            if rows and not self._unmarked:
                self._unmarked_since = time.monotonic()
            self._unmarked.extend(r.seq for r in rows)
        else:
            await self.mark_published(rows, done)
        return rows, done, aside

    async def mark_published(self, rows=(), done: set[int] = frozenset()) -> None:
        """SQLite: writes the marks of the rows published so far (and of a failed round's
        ``rows``: the published ones, and one more attempt for the others)."""
        if not (self._unmarked or rows):
            return
        unmarked = list(self._unmarked)
        async with self.db.lax_write() as conn:
            await self._mark(conn, [*unmarked, *(r.seq for r in rows)], {*unmarked, *done})
        del self._unmarked[: len(unmarked)]

    async def _publish_rows(self, rows) -> tuple[set[int], dict[int, tuple]]:
        """The rows published (their seqs), and those refused for good (seq → row, reason)."""
        if not rows:
            return set(), {}
        batch = getattr(self.publish, "batch", None)
        if batch is not None and len(rows) >= ATOMIC_FROM:
            done = await self._publish_batches(batch, rows)
            if done is not None:
                return done, {}
        # Pipelined: all publishes go out on one connection in order (so the stream keeps
        # their order) and their acks are awaited together. An ack that does not come in
        # time counts as a failure: the row is published again later, and JetStream drops
        # the copy if the first one did land (same Nats-Msg-Id within its window).
        acks: list = []
        for r in rows:
            try:
                acks.append(await self.publish(r.subject, r.payload, r.event_id, r.traceparent))
            except Exception as exc:
                acks.append(exc)
        waiting = [a for a in acks if a is not None and not isinstance(a, BaseException)]
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=self.ack_timeout_s)
            for ack in late:
                ack.cancel()
        done, aside, failed = set(), {}, []
        for row, ack in zip(rows, acks):
            error = ack if isinstance(ack, BaseException) else _ack_error(ack)
            if error is None:
                done.add(row.seq)
            elif isinstance(error, RefusedForGood):
                aside[row.seq] = (row, error)
            else:
                failed.append((row, error))
        if failed:  # one line a round: a lost connection fails every row in flight
            logger.warning("outbox_publish_failed", rows=len(failed), event_id=failed[0][0].event_id,
                           error=repr(failed[0][1]))
        self._count([row.payload for row in rows if row.seq in done])
        return done, aside

    async def _set_aside(self, conn: AsyncConnection, aside: dict[int, tuple]) -> None:
        """Moves rows the broker refused for good from the outbox to ``failed_events``, in
        the caller's transaction."""
        if not aside:
            return
        o, now = self.outbox, utcnow()
        created = dict((await conn.execute(sa.select(o.c.seq, o.c.created_at).where(o.c.seq.in_(list(aside))))).all())
        await insert_ignore_rows(conn, self.failed_events, [
            {"event_id": row.event_id, "event_type": _event_type(row.payload), "subject": row.subject,
             "payload": row.payload, "created_at": created.get(seq), "failed_at": now, "reason": str(error)[:2000]}
            for seq, (row, error) in aside.items()
        ])
        await conn.execute(o.delete().where(o.c.seq.in_(list(aside))))

    def _report_set_aside(self, aside: dict[int, tuple]) -> None:
        for row, error in aside.values():
            logger.error("outbox_event_set_aside", event_id=row.event_id, event_type=_event_type(row.payload),
                         subject=row.subject, bytes=len(row.payload), reason=str(error), table=FAILED_EVENTS)
        if aside:
            metrics.OUTBOX_SET_ASIDE.labels(self.service).inc(len(aside))

    async def _publish_batches(self, batch, rows) -> set[int] | None:
        """All rows as atomic batches (one broker write each); None if any batch was refused
        or not acknowledged in time, and the rows are to be published one by one (a
        batch is refused whole when it holds an event the stream already has)."""
        size = getattr(self.publish, "max_batch", len(rows))
        acks = []
        try:
            for i in range(0, len(rows), size):
                chunk = rows[i : i + size]
                acks.append(await batch([(r.subject, r.payload, r.event_id, r.traceparent) for r in chunk]))
            _, late = await asyncio.wait(acks, timeout=self.ack_timeout_s)
            for ack in late:
                ack.cancel()
            error = next((e for e in map(_ack_error, acks) if e is not None), None)
        except Exception as exc:
            error = exc
        if error is not None:
            logger.info("outbox_batch_refused", rows=len(rows), reason=repr(error)[:300])
            return None
        self._count([r.payload for r in rows])
        return {r.seq for r in rows}

    def _count(self, payloads: list[bytes]) -> None:
        """Published and acknowledged: counted, with the business counters they carry (a row
        published again after a crash before its mark is counted again; JetStream keeps one)."""
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(payloads))
        metrics.count_published(self.service, payloads)

    async def _mark(self, conn: AsyncConnection, seqs: list[int], done: set[int]) -> None:
        """``done`` of these rows are marked published, the others get one more attempt."""
        o = self.outbox
        now = utcnow()
        failed = [seq for seq in seqs if seq not in done]
        raw = sqlite_driver(conn)
        if raw is not None:
            if done:
                raw.execute(f"UPDATE {o.name} SET published_at = ? WHERE seq IN ({', '.join('?' * len(done))})",
                            [sqlite_utc_text(now), *sorted(done)])
            if failed:
                raw.execute(f"UPDATE {o.name} SET attempts = attempts + 1 WHERE seq IN ({', '.join('?' * len(failed))})",
                            failed)
            return
        if done:
            await conn.execute(
                o.update().where(o.c.seq.in_(sorted(done))).values(published_at=now)
            )
        if failed:
            await conn.execute(
                o.update().where(o.c.seq.in_(failed)).values(attempts=o.c.attempts + 1)
            )

    async def purge(self) -> None:
        cutoff = utcnow() - self.keep_published
        async with self.db.write() as conn:
            await conn.execute(
                self.outbox.delete().where(
                    self.outbox.c.published_at.is_not(None),
                    self.outbox.c.published_at < cutoff,
                )
            )

    async def pending(self) -> int:
        """Rows not yet published (published rows whose mark is still to be written are not
        counted)."""
        async with self.db.read() as conn:
            unpublished_rows = (
                await conn.execute(
                    sa.select(sa.func.count()).where(self.outbox.c.published_at.is_(None))
                )
            ).scalar_one()
        return unpublished_rows - len(self._unmarked)


class _Typed(msgspec.Struct):
    type: str = "unknown"


def _event_type(payload: bytes) -> str:
    """The event's type from its JSON (the tag field), for the record of a set-aside row."""
    try:
        return msgspec.json.decode(payload, type=_Typed).type[:80]
    except msgspec.MsgspecError:
        return "unknown"


def _ack_error(ack) -> BaseException | None:
    if ack is None:
        return None
    if ack.cancelled():
        return TimeoutError("no acknowledgement in time")
    return ack.exception()


def unpublished(outbox: sa.Table, limit: int) -> sa.Select:
    return (
        sa.select(outbox.c.seq, outbox.c.event_id, outbox.c.subject, outbox.c.payload, outbox.c.traceparent)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.seq)
        .limit(limit)
    )
