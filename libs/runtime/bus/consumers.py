"""A service's subscriptions: ``Consumers.subscribe`` / ``subscribe_batch`` each declare
a durable pull consumer whose fetch loop (``libs.runtime.bus.feed``) hands it batches.

Each batch is applied in one transaction behind one inbox statement; if any event of it
fails, it is applied again with each event in its own savepoint, so one bad event
neither blocks nor undoes the others. Outcomes per message: applied or duplicate →
ack; permanent failure (undecodable, domain rule refuses it) → dead-letter with the
reason, then ack; transient failure → nak with back-off, and after ``max_deliver``
deliveries → dead-letter. An unexpected crash of the batch code (not an event's
failure) naks what it had not settled, so it is redelivered rather than dropped.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import msgspec
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from libs.contracts import STREAMS, Event, dead_letter_subject, validate_token
from libs.contracts.events import DECODERS
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime import logging as log
from libs.runtime import metrics, tracing
from libs.runtime.bus import wire
from libs.runtime.bus.connection import Broker
from libs.runtime.bus.feed import Lingers, PullConsumer
from libs.runtime.db import Database
from libs.runtime.errors import DomainError, UnknownFact
from libs.runtime.uow import Tx

logger = log.get("bus")

Handler = Callable[[Tx, Event], Awaitable[None]]
# A set-based handler takes the new events of a whole batch at once (one query per table
# for the batch instead of one per event). It is called with a batch of one on the careful
# path, so a batch handler is also a correct single-event handler.
BatchHandler = Callable[[Tx, list[Event]], Awaitable[None]]

Prompt = bool | tuple[str, ...]


class Consumers:
    """The subscriptions of one service; the relay and the handlers share its Database.

    An event about a plaza or unit the service has not been told of (the handler raises
    ``UnknownFact``) is neither applied nor dropped at once: archive's facts come on their
    own stream and may be a moment behind. It is nacked with a delay (``fact_wait_delay``)
    and dead-lettered with its reason once ``fact_wait_s`` have passed since its first
    delivery or ``max_deliver`` deliveries are spent; the rest of its batch is applied.
    The wait counts from the first delivery, not from the event's age: after a service
    was down, its backlog is old and its facts may still be queued on the other stream."""

    def __init__(
        self,
        broker: Broker,
        db: Database,
        tx_factory: Callable,
        *,
        service: str,
        max_deliver: int = 5,
        ack_wait_s: float = 5.0,
        batch: int = 200,
        linger_s: float = 0.1,
        prompt_linger_s: float = 0.01,
        fact_wait_s: float = 30.0,
    ) -> None:
        self.broker = broker
        self.db = db
        self.tx_factory = tx_factory
        self.service = service
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.batch = batch
        self.linger_s = linger_s
        self.prompt_linger_s = prompt_linger_s
        self.fact_wait_s = fact_wait_s
        self.streams: set[str] = set()
        self.pulls: list[PullConsumer] = []

    def subscribe_batch(
        self, producer: str, subject_pattern: str, name: str, handler: BatchHandler, *, prompt: Prompt = False
    ) -> None:
        """Like ``subscribe``, for a handler that takes the batch's new events in one call:
        already-applied (and twice-fetched) events are filtered out before it is called."""
        self.subscribe(producer, subject_pattern, name, _Batched(handler), prompt=prompt)

    def subscribe(
        self, producer: str, subject_pattern: str, name: str, handler: Handler, *, prompt: Prompt = False
    ) -> None:
        """``subject_pattern`` is relative to the producer: ``"*.*.work_order.closed"``.

        A batch waits up to ``linger_s`` for company (fewer, larger transactions); a batch
        holding a prompt event only until that event is ``prompt_linger_s`` old. ``prompt``
        is True (every event of this subscription) or the subject endings of the prompt
        events (``(".work_order.closed",)``). Prompt: what follows a closed work order (its
        charge, its return visit, its timeline entry), which clerks and merchants look for
        next and which has a latency target, at the price of more, smaller transactions."""
        spec = STREAMS[producer]
        subject = spec.subject(subject_pattern)
        durable = f"{self.service}-{name}"
        self.streams.add(spec.name)
        decoder = DECODERS[producer]
        config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subject=subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            max_ack_pending=max(1000, self.batch * 4),
        )

        async def on_messages(messages: list) -> None:
            events, msgs = [], []
            for m in messages:
                try:
                    event = decoder.decode(m.data)
                    validate_token(event.plaza_id, "plaza_id")
                except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
                    await self.dead_letter(durable, m, f"undecodable event: {exc}")
                    continue
                events.append(event)
                msgs.append(m)
            if not events:
                return
            started = time.perf_counter()
            with tracing.applying(durable, events, [m.headers for m in msgs]) as spans:
                outcomes = await self.apply_batch(durable, handler, events)
                for event, outcome in zip(events, outcomes) if spans else ():
                    spans[event.id].set_attribute("plazadesk.outcome", outcome.split(":", 1)[0])
            done = {"applied": 0, "duplicate": 0}
            acks = []
            for m, event, outcome in zip(msgs, events, outcomes):
                if outcome in done:  # the common outcomes: acked together, counted once below
                    done[outcome] += 1
                    acks.append(m)
                else:
                    await self.settle(durable, m, event, outcome)
            await self.acknowledge(acks)
            for outcome, n in done.items():
                if n:
                    metrics.EVENTS_HANDLED.labels(self.service, durable, outcome).inc(n)
            metrics.BATCH_SIZE.labels(self.service, durable).observe(len(messages))
            metrics.BATCH_SECONDS.labels(self.service, durable).observe(time.perf_counter() - started)

        if prompt is True:
            lingers = Lingers(self.prompt_linger_s)
        elif prompt:
            lingers = Lingers(self.linger_s, self.prompt_linger_s, tuple(prompt))
        else:
            lingers = Lingers(self.linger_s)
        self.pulls.append(PullConsumer(spec.name, config, on_messages, lingers, batch=self.batch))

    async def start(self) -> None:
        """Every subscription's consumer and fetch loop, on the broker's connection."""
        for pull in self.pulls:
            await pull.start(self.broker)

    async def stop(self) -> None:
        for pull in self.pulls:
            await pull.stop()

    async def restart(self) -> None:
        """On a new connection (``Broker.reopen``); each durable consumer carries on where it was."""
        await self.stop()
        await self.start()

    async def apply_batch(self, durable: str, handler: Handler, events: list[Event]) -> list[str]:
        """One transaction for the batch. Optimistically: one inbox look-up for the whole
        batch, no savepoints, one inbox insert and one outbox insert at the end. If any
        event fails, that transaction is rolled back and the batch is applied again the
        careful way: a savepoint per event, so only the failing one is held back."""
        try:
            return await self._apply_fast(durable, handler, events)
        except Exception as exc:
            logger.info("consumer_batch_careful", consumer=durable, reason=repr(exc)[:200])
        try:
            async with self.db.write() as conn:
                tx = self.tx_factory(conn)
                outcomes = [await self._apply_one(tx, durable, handler, e) for e in events]
                await tx.flush()
                return outcomes
        except Exception as exc:  # the transaction itself failed: none of it happened
            logger.warning("consumer_batch_failed", consumer=durable, error=repr(exc))
            return [f"retry:{exc!r}"] * len(events)

    async def _apply_fast(self, durable: str, handler: Handler, events: list[Event]) -> list[str]:
        async with self.db.write() as conn:
            tx = self.tx_factory(conn)
            # The inbox rows go in first, in one statement that says which were new: an
            # event whose row was there already (or that came twice in this batch) is a
            # duplicate. If anything below fails, the rows go with the rollback.
            fresh = await tx.first_times(durable, list(dict.fromkeys(e.id for e in events)))
            outcomes, new = [], []
            for event in events:
                if event.id not in fresh:
                    outcomes.append("duplicate")
                    continue
                fresh.discard(event.id)
                new.append(event)
                outcomes.append("applied")
            if isinstance(handler, _Batched):
                await handler.batch(tx, new)
            else:
                for event in new:
                    with log_context(event):
                        await handler(tx, event)
            await tx.flush()
        return outcomes

    async def acknowledge(self, messages: list) -> None:
        """Acks the applied and duplicate messages of a batch, in one write."""
        await wire.ack_all(messages)

    async def settle(self, durable: str, m, event: Event, outcome: str) -> None:
        """An event that was neither applied nor a duplicate (those are acked together)."""
        if outcome.startswith("dead:"):
            await self.dead_letter(durable, m, outcome[5:], event)
        elif outcome.startswith("wait:"):
            await self._wait_for_facts(durable, m, event, outcome[5:])
        else:
            delivered = m.metadata.num_delivered
            if delivered >= self.max_deliver:
                await self.dead_letter(
                    durable, m, f"gave up after {delivered} deliveries: {outcome[6:]}", event
                )
            else:
                metrics.EVENTS_HANDLED.labels(self.service, durable, "retried").inc()
                await m.nak(delay=min(0.2 * 2 ** (delivered - 1), 5.0))

    async def _wait_for_facts(self, durable: str, m, event: Event, reason: str) -> None:
        delivered = m.metadata.num_delivered
        delay = fact_wait_delay(delivered, self.max_deliver, self.fact_wait_s)
        if delay is None:
            waited = f"still after {delivered} deliveries, a wait of up to {self.fact_wait_s:g} s"
            await self.dead_letter(durable, m, f"UnknownFact: {reason} ({waited})", event)
            return
        metrics.EVENTS_HANDLED.labels(self.service, durable, "waiting_for_facts").inc()
        with log_context(event):
            logger.info("event_waits_for_facts", consumer=durable, reason=reason, retry_in_s=round(delay, 3))
        await m.nak(delay=delay)

    async def _apply_one(self, tx: Tx, durable: str, handler: Handler, event: Event) -> str:
        """The careful path: a savepoint behind the inbox, so a failure undoes only this event."""
        mark = tx.mark()
        with log_context(event):
            try:
                async with tx.conn.begin_nested():
                    if not await tx.first_time(durable, event.id):
                        return "duplicate"
                    await handler(tx, event)
                return "applied"
            except DomainError as exc:
                tx.rollback_to(mark)
                return f"dead:{type(exc).__name__}: {exc.detail}"
            except UnknownFact as exc:
                tx.rollback_to(mark)
                return f"wait:{exc.detail}"
            except Exception as exc:
                tx.rollback_to(mark)
                logger.warning("event_failed", consumer=durable, error=repr(exc))
                return f"retry:{exc!r}"

    async def dead_letter(self, durable: str, m, reason: str, event: Event | None = None) -> None:
        """Park the message with its reason on the dead-letter stream, then ack it."""
        js = self.broker.js
        meta = m.metadata
        headers = {
            "Nats-Msg-Id": f"{durable}:{meta.sequence.stream}",
            "PlazaDesk-Reason": reason[:1000].replace("\r", " ").replace("\n", " "),
            "PlazaDesk-Consumer": durable,
            "PlazaDesk-Subject": m.subject,
            "PlazaDesk-Stream-Seq": str(meta.sequence.stream),
            "PlazaDesk-Deliveries": str(meta.num_delivered),
        }
        await js.publish(
            dead_letter_subject(self.service, durable),
            m.data,
            headers=headers,
            stream=DEAD_LETTER_STREAM,
        )
        logger.error(
            "event_dead_lettered",
            consumer=durable,
            subject=m.subject,
            reason=reason,
            event_id=getattr(event, "id", None),
        )
        metrics.EVENTS_HANDLED.labels(self.service, durable, "dead_lettered").inc()
        await m.ack()


# The first redelivery of an event waiting for archive's facts comes soon (the usual case:
# the fact is a few milliseconds behind on its own stream); the later ones spread out
# geometrically up to the end of the wait, so a fact a few seconds late (archive's stream
# behind a bulk import) is not waited for until the end.
FACT_RETRY_FIRST_S = 0.1


def fact_wait_delay(delivered: int, max_deliver: int, wait_s: float) -> float | None:
    """How long an event delivered ``delivered`` times waits before its next delivery, or
    None when its wait is over (``wait_s`` since its first delivery, or no delivery left).
    With 5 deliveries and 30 s, it is delivered again 0.1, 0.67, 4.5 and 30 s after the first."""
    naks = max_deliver - 1  # the redeliveries an event can have

    def waited(k: int) -> float:  # from the first delivery to the one after k naks
        if k <= 0:
            return 0.0
        if k >= naks or wait_s <= FACT_RETRY_FIRST_S:
            return wait_s
        return FACT_RETRY_FIRST_S * (wait_s / FACT_RETRY_FIRST_S) ** ((k - 1) / (naks - 1))

    if delivered >= max_deliver or waited(delivered - 1) >= wait_s:
        return None
    return waited(delivered) - waited(delivered - 1)


class _Batched:
    """A batch handler; called as a single-event handler it gets a batch of one."""

    __slots__ = ("batch",)

    def __init__(self, batch: BatchHandler) -> None:
        self.batch = batch

    async def __call__(self, tx: Tx, event: Event) -> None:
        await self.batch(tx, [event])


def log_context(event: Event):
    """Every log line of a handler carries the case, the plaza and the event."""
    return log.event_context(
        correlation_id=event.correlation_id, plaza_id=event.plaza_id,
        event_id=event.id, event_type=type(event).__name__,
    )


