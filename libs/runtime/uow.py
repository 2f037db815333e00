"""The unit of work: one open transaction of a use case or a consumer's batch, holding its
state changes, its outbox rows (``Tx.emit``, written in the same transaction) and its inbox
rows (``Tx.first_times``: an event applied twice is skipped, not re-applied). The relay
(``libs.runtime.relay``) publishes the outbox afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import Event, subject_for, utcnow
from libs.contracts.events import encode
from libs.runtime import tracing
from libs.runtime.db import UtcDateTime, insert_ignore_many, sqlite_driver, sqlite_utc_text, wrote_outbox

_SQLITE_ROWS = 300  # rows per multi-row statement (3 parameters each, well under SQLite's limit)


def add_runtime_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The outbox and the inbox (returned), and ``failed_events``: the outbox rows the broker
    refused for good, set aside by the relay so the rows behind them flow on."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.Integer, sa.Identity(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False, unique=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        # The W3C trace context of the span that wrote the event, sent along as a header
        # (libs.runtime.tracing); NULL while traces are off.
        sa.Column("traceparent", sa.String(64), nullable=True),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(80), primary_key=True),
        sa.Column("event_id", sa.String(40), primary_key=True),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        FAILED_EVENTS,
        metadata,
        sa.Column("event_id", sa.String(40), primary_key=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=True),  # when the outbox row was written
        sa.Column("failed_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    return outbox, inbox


FAILED_EVENTS = "failed_events"


class RefusedForGood(Exception):
    """The broker will never take this event as it is (e.g. larger than its max_payload):
    publishing it again would only fail again, and hold up the rows behind it."""


class Tx:
    """One open transaction of a use case: its connection and its outbox.

    ``buffered`` (the runtime's own transactions) keeps emitted events in memory and writes
    them with one multi-row insert at ``flush()``, just before the commit; otherwise each
    ``emit`` writes at once.
    """

    def __init__(self, conn: AsyncConnection, outbox: sa.Table, inbox: sa.Table, *, buffered: bool = False) -> None:
        self.conn = conn
        self._outbox = outbox
        self._inbox = inbox
        self.buffered = buffered
        self.emitted: list[Event] = []
        self._unwritten = 0  # how many of ``emitted`` (the last ones) are not yet written

    async def emit(self, *events: Event) -> None:
        if not events:
            return
        self.emitted.extend(events)
        self._unwritten += len(events)
        if not self.buffered:
            await self.flush()

    async def flush(self) -> None:
        if not self._unwritten:
            return
        now = utcnow()
        pending = self.emitted[-self._unwritten :]
        wrote_outbox(self.conn)
        raw = sqlite_driver(self.conn)
        # traceparent: the context of the span that wrote each event (None while traces are off).
        if raw is not None:
            at = sqlite_utc_text(now)
            raw.executemany(
                f"INSERT INTO {self._outbox.name} (event_id, subject, payload, created_at, attempts, traceparent) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                [(e.id, subject_for(e), encode(e), at, tracing.traceparent_for(e)) for e in pending],
            )
        else:
            await self.conn.execute(
                self._outbox.insert(),
                [
                    {"event_id": e.id, "subject": subject_for(e), "payload": encode(e), "created_at": now, "attempts": 0,
                     "traceparent": tracing.traceparent_for(e)}
                    for e in pending
                ],
            )
        self._unwritten = 0

    def mark(self) -> tuple[int, int]:
        return len(self.emitted), self._unwritten

    def rollback_to(self, mark: tuple[int, int]) -> None:
        """A savepoint rolled back: forget what was emitted since ``mark``."""
        count, unwritten = mark
        del self.emitted[count:]
        self._unwritten = unwritten

    async def first_time(self, consumer: str, event_id: str) -> bool:
        """Record (consumer, event id); False means this event was already applied."""
        return bool(await self.first_times(consumer, [event_id]))

    async def first_times(self, consumer: str, event_ids: list[str]) -> set[str]:
        """Record (consumer, event id) for a batch; the ids recorded now come back, those
        already applied do not."""
        now = utcnow()
        raw = sqlite_driver(self.conn)
        if raw is None:
            rows = [{"consumer": consumer, "event_id": e, "processed_at": now} for e in event_ids]
            return {k for (k,) in await insert_ignore_many(self.conn, self._inbox, rows, ["event_id"])}
        at, recorded = sqlite_utc_text(now), set()
        for i in range(0, len(event_ids), _SQLITE_ROWS):
            chunk = event_ids[i : i + _SQLITE_ROWS]
            sql = (f"INSERT INTO {self._inbox.name} (consumer, event_id, processed_at) VALUES "
                   + ", ".join(["(?, ?, ?)"] * len(chunk)) + " ON CONFLICT DO NOTHING RETURNING event_id")
            params = [v for e in chunk for v in (consumer, e, at)]
            recorded.update(k for (k,) in raw.execute(sql, params))
        return recorded

