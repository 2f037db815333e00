"""The bus, used the same way by every service.

- ``declare_own_stream``: a service declares only its own stream (and the shared
  dead-letter stream), with a duplicate window for ``Nats-Msg-Id`` dedup and atomic
  batches allowed (``publisher``: the relay's publishes, a round as one atomic batch).
- ``Consumers.subscribe`` / ``subscribe_batch``: a durable pull consumer taking batches
  from a standing pull request (``_Feed``).
  Each batch is applied in one transaction behind one inbox statement; if any event of it
  fails, it is applied again with each event in its own savepoint, so one bad event
  neither blocks nor undoes the others. Outcomes per message: applied or duplicate →
  ack; permanent failure (undecodable, domain rule refuses it) → dead-letter with the
  reason, then ack; transient failure → nak with back-off, and after ``max_deliver``
  deliveries → dead-letter. An unexpected crash of the batch code (not an event's
  failure) naks what it had not settled, so it is redelivered rather than dropped.
"""

from __future__ import annotations

import asyncio
import time
import types
from typing import NamedTuple
from collections.abc import Awaitable, Callable

import msgspec
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.errors import ConnectionClosedError, OutboundBufferLimitError
from nats.js.errors import NotFoundError, ServiceUnavailableError

from libs.contracts import STREAMS, Event, dead_letter_subject, validate_token
from libs.contracts.events import DECODERS
from libs.contracts.subjects import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.db import Database
from libs.runtime.errors import DomainError, UnknownFact
from libs.runtime.outbox import RefusedForGood, Tx
from libs.runtime.settings import nats_servers

logger = log.get("bus")

DUPLICATE_WINDOW_S = 120.0

Handler = Callable[[Tx, Event], Awaitable[None]]
# A set-based handler takes the new events of a whole batch at once (one query per table
# for the batch instead of one per event). It is called with a batch of one on the careful
# path, so a batch handler is also a correct single-event handler.
BatchHandler = Callable[[Tx, list[Event]], Awaitable[None]]


def make_broker(url: str, **callbacks: Callable[[], Awaitable[None]]) -> NatsBroker:
    """``url`` may name several servers, comma-separated (a cluster). ``callbacks``:
    nats-py's ``disconnected_cb``, ``reconnected_cb``, ``closed_cb``.

    The client reconnects for as long as it takes (nats-py's default gives up after 60
    attempts, two minutes, and the service would never publish again); a connection the
    server closes for good (after an ``-ERR``) is the runtime's to re-open (``reopen``)."""
    # Our own structlog lines say what happened to each event; FastStream's per-message
    # INFO lines would only repeat them.
    import logging

    return NatsBroker(
        nats_servers(url), logger=logging.getLogger("plazadesk.broker"), log_level=logging.DEBUG,
        max_reconnect_attempts=-1, **callbacks,
    )


async def reopen(broker: NatsBroker) -> None:
    """A new connection for a broker whose connection was closed for good, and its
    subscribers started again on it (their durable consumers carry on where they were).
    Stopping a subscriber unsubscribes on the closed connection, which fails: its
    subscription and consume task are dropped here instead."""
    for sub in broker.subscribers:
        try:
            await sub.stop()
        except Exception:
            pass
        for task in getattr(sub, "tasks", ()):
            task.cancel()
        if hasattr(sub, "tasks"):
            sub.tasks.clear()
        sub.subscription = None
    old = broker._connection  # FastStream connects only when it holds no connection
    if old is not None and not old.is_closed:  # a re-open that failed half-way: not left open
        await old.close()
    broker._connection = None
    broker.config.disconnect()
    await broker.start()


async def declare_own_stream(broker: NatsBroker, service: str, replicas: int = 1) -> None:
    js = broker.config.connection_state.stream
    spec = STREAMS[service]
    for name, subjects in ((spec.name, spec.subjects), (DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS)):
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
            num_replicas=replicas,
            allow_atomic=True,  # the relays publish a batch of rows as one atomic batch
        )
        try:
            await js.stream_info(name)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)


async def wait_for_streams(broker: NatsBroker, names: list[str], timeout: float = 60) -> None:
    """Consumers attach to other services' streams, which those services declare."""
    js = broker.config.connection_state.stream
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for name in names:
        while True:
            try:
                await js.stream_info(name)
                break
            except NotFoundError:
                if loop.time() > deadline:
                    raise RuntimeError(f"stream {name} was never declared by its service")
                logger.info("waiting_for_stream", stream=name)
                await asyncio.sleep(0.5)


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
        broker: NatsBroker,
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
        subscriber = self.broker.subscriber(
            subject,
            stream=JStream(spec.name, declare=False),
            durable=durable,
            pull_sub=PullSub(batch_size=self.batch, timeout=5.0, batch=True),
            config=ConsumerConfig(
                durable_name=durable,
                ack_policy=JsAckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=self.max_deliver,
                ack_wait=self.ack_wait_s,
                max_ack_pending=max(1000, self.batch * 4),
            ),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw,
            title=durable,
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
            outcomes = await self.apply_batch(durable, handler, events)
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

        # FastStream declares the durable pull consumer, starts and stops it; the fetch loop
        # is ours. Its own loop keeps fetching until the batch is full or its timeout passes
        # (the whole timeout in every hop when traffic is light), and it hands each batch
        # through its dependency injection, which cost a worker-thread hop per batch. Ours
        # takes what a standing pull request has delivered (``_Feed``) and calls on_messages.
        if prompt is True:
            lingers = _Lingers(self.prompt_linger_s)
        elif prompt:
            lingers = _Lingers(self.linger_s, self.prompt_linger_s, tuple(prompt))
        else:
            lingers = _Lingers(self.linger_s)
        subscriber._consume_pull = types.MethodType(_fetch_loop(on_messages, lingers), subscriber)

        @subscriber
        async def _never_called(body: list) -> None:  # FastStream wants a handler to start
            raise RuntimeError(f"{durable}: batches go to on_messages")

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
        await ack_all(messages)

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
        js = self.broker.config.connection_state.stream
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


Prompt = bool | tuple[str, ...]


class _Lingers(NamedTuple):
    """How long a batch waits for company: ``linger_s``, or ``prompt_s`` once it holds a
    message whose subject ends with one of ``prompt_endings``."""

    linger_s: float
    prompt_s: float | None = None
    prompt_endings: tuple[str, ...] = ()


# How long a pull request stays open on the server (it is renewed as it fills or ends).
PULL_EXPIRES_S = 5.0


def _fetch_loop(handle: Callable[[list], Awaitable[None]], lingers: _Lingers):
    """Replaces FastStream's fetch loop of one subscriber (see ``Consumers.subscribe``): a
    ``_Feed`` hands over batches, ``handle`` applies each, and a batch whose code crashed
    (not an event's failure) is handed back to the server to redeliver."""

    async def consume_pull(self) -> None:
        feed = _Feed(self.subscription, self.pull_sub.batch_size, *lingers, expires_s=PULL_EXPIRES_S)
        outage = _Outage(self.config.durable_name)
        while self.running:
            refused = feed.refused
            try:
                messages = await feed.next_batch()
            except (ConnectionClosedError, ServiceUnavailableError) as exc:
                # Unacknowledged messages are redelivered by the server; a closed connection
                # is re-opened by the runtime, which starts this subscriber again.
                await outage.failed(repr(exc))
                continue
            if feed.refused != refused:  # the server ended a pull at once: no consumer there now
                await outage.failed(feed.refusal)
                continue
            if messages or feed.remaining:  # a pull request is open and was not refused
                outage.over()
            if not (messages and self.running):
                continue
            try:
                await handle(messages)
            except Exception as exc:  # a crash, not an event's failure: redeliver what is left
                logger.error("consumer_batch_crashed", error=repr(exc), messages=len(messages))
                for m in messages:
                    if not m.is_acked:
                        try:
                            await m.nak(delay=1.0)
                        except Exception:
                            pass  # the server redelivers it after ack_wait anyway

    return consume_pull


class _Outage:
    """One pull consumer's failing spell: its fetch loop backs off (0.1 s doubling to 5 s)
    and logs once when it begins and once when it ends. (Without it, a cluster node
    killed under a consumer had each refused pull request asked again at once and
    logged: 15-32 k warnings a run.)"""

    FIRST_S, MAX_S = 0.1, 5.0

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self.since: float | None = None
        self.attempts = 0

    async def failed(self, reason: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            logger.warning("pull_failing", consumer=self.consumer, reason=reason)
        self.attempts += 1
        await asyncio.sleep(min(self.FIRST_S * 2 ** (self.attempts - 1), self.MAX_S))

    def over(self) -> None:
        if self.since is not None:
            logger.info("pull_recovered", consumer=self.consumer, attempts=self.attempts,
                        after_s=round(time.monotonic() - self.since, 1))
            self.since, self.attempts = None, 0


class _Feed:
    """The messages of one pull consumer, in batches, through a standing pull request.

    One pull request for a batch stays open (``expires_s``) and the server delivers each
    message as it arrives; a batch is whatever has arrived, taken without waiting for the
    request to be filled. A new request goes out when the feed needs messages and none is
    open (the last was filled or ended). So a steady flow costs about one request per
    batch size, not two or three round trips per batch (each a JSON request the server
    parses). (Asking for the next batch before applying this one measured slower when
    draining: its messages arrived in small reads between the batch's statements.)

    A batch: the first message (waiting as long as it takes), then what else is queued;
    while the last message says more were pending behind it, those are on their way and
    are waited for (up to 0.1 s); when nothing is behind and the batch is not full, the
    feed lingers for what comes meanwhile until the batch's oldest message is ``linger_s``
    old (by the stream's timestamp): that much latency for several times fewer commits
    under a trickle. Time a message already spent waiting (behind the previous batch, or
    on its way) counts towards it, so lingering never adds to a queue's delay. (A linger
    counted from the batch's first message did: 40 ms of it took end-to-end p50 at 500
    closes/s to 46-50 ms; counted from the message's age, 10 ms of it gave 16-18 ms.)
    Prompt events (see ``Consumers.subscribe``) linger ``prompt_s`` instead.

    Asking for a whole batch and waiting for the request to be filled was the original
    mistake: at the end of a steady flow the last events waited seconds for a request
    that would never fill.

    nats-py's ``fetch`` is not used: it waits for each message with two tasks and a uuid4,
    a tenth of a consumer's CPU when draining."""

    def __init__(
        self, psub, size: int, linger_s: float, prompt_s: float | None = None,
        prompt_endings: tuple[str, ...] = (), expires_s: float = 5.0,
    ) -> None:
        self.psub = psub
        self.size = size
        self.linger_s = linger_s
        self.prompt_s = prompt_s
        self.prompt_endings = prompt_endings
        self.expires_s = expires_s
        self.remaining = 0  # what the open request may still deliver; 0 when none is open
        self.opened_at = 0.0
        self.reconnects = -1  # the client's reconnect count when the request was made
        self.refused = 0  # pull requests the server ended with an error status
        self.refusal = ""  # the last one's status and description

    async def next_batch(self) -> list:
        out: list = []
        while not out:
            self._take_queued(out)
            if not out:
                await self._wait_one(out, 1.0)  # idle: looks at the connection every second
                if not out:
                    return out  # the caller checks that it is still running
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.1
        while len(out) < self.size:
            self._take_queued(out)
            if len(out) >= self.size or _pending_behind(out[-1]) == 0:
                break
            left = deadline - loop.time()  # more were pending behind: on their way
            if left <= 0:
                break
            await self._wait_one(out, left)
        if self.linger_s and len(out) < self.size and _pending_behind(out[-1]) == 0:
            await self._request()
            await self._linger(out)
        return out

    async def _linger(self, out: list) -> None:
        """Waits for company until the batch's oldest message is ``linger_s`` old. With
        prompt events, each message that arrives meanwhile is looked at, and the first
        prompt one shortens the wait to its own ``prompt_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(self.linger_s, self.linger_s - _age_s(out[0]))
        seen = 0
        while len(out) < self.size:
            prompt = None
            if self.prompt_endings:  # (only subscriptions with prompt events look at subjects)
                prompt = next((m for m in out[seen:] if m.subject.endswith(self.prompt_endings)), None)
                seen = len(out)
            if prompt is not None:
                deadline = min(deadline, loop.time() + min(self.prompt_s, self.prompt_s - _age_s(prompt)))
            left = deadline - loop.time()
            if left <= 0:
                return
            if prompt is not None or not self.prompt_endings:  # nothing can shorten the wait
                await asyncio.sleep(left)
                self._take_queued(out)
                return
            await self._wait_one(out, left)
            self._take_queued(out)

    async def _request(self) -> None:
        """A new pull request when none is open: filled, expired, or lost with the server
        (after a reconnect the server may be another process that never had it)."""
        loop = asyncio.get_running_loop()
        nc = self.psub._nc
        reconnects = nc.stats["reconnects"]
        if self.remaining > 0 and reconnects == self.reconnects and loop.time() - self.opened_at < self.expires_s + 2.0:
            return
        if nc.is_closed:
            raise ConnectionClosedError
        if not nc.is_connected:
            return  # asked again once connected (an idle wait looks every second)
        request = {"batch": self.size, "expires": int(self.expires_s * 1e9)}
        await nc.publish(self.psub._nms, msgspec.json.encode(request), self.psub._deliver)
        self.remaining, self.opened_at, self.reconnects = self.size, loop.time(), reconnects

    async def _wait_one(self, out: list, timeout: float) -> None:
        await self._request()
        try:
            async with asyncio.timeout(timeout):
                msg = await self.psub._sub._pending_queue.get()
        except TimeoutError:
            return
        self._accept(msg, out)

    def _take_queued(self, out: list) -> None:
        queue = self.psub._sub._pending_queue
        while len(out) < self.size and not queue.empty():
            self._accept(queue.get_nowait(), out)

    def _accept(self, msg, out: list) -> None:
        self.psub._sub._pending_size -= len(msg.data)
        status = _status(msg)
        if status is None:
            out.append(msg)
            self.remaining = max(self.remaining - 1, 0)
        elif status != "100":  # 100: a heartbeat. 408: the request expired; others end it too
            self.remaining = 0
            if status not in ("404", "408"):  # 409: leadership change, consumer deleted, shutdown...
                # 503: no responders, the consumer is not there (a node down, JetStream
                # unavailable). Counted, not logged: the fetch loop backs off (``_Outage``).
                self.refused += 1
                self.refusal = f"{status} {msg.headers.get('Description', '')}".strip()


# Room for the headers an atomic batch adds to a message (batch id, sequence, commit).
_BATCH_HEADERS_ROOM = b"Nats-Batch-Id: %s\r\nNats-Batch-Sequence: 1000\r\nNats-Batch-Commit: 1\r\n" % (b"x" * 22)


def _fits(nc, event_id: str, size: int) -> None:
    """nats-server closes the connection of a client that sends a message over its
    ``max_payload`` (headers and payload together): such a message is refused here."""
    if size > nc.max_payload:
        raise TooLarge(f"event {event_id} is {size} bytes; the NATS server takes at most {nc.max_payload} (max_payload)")


def _hpub(subject: str, reply: str, headers: bytes, payload: bytes) -> bytes:
    """One HPUB protocol command (headers end with an empty line)."""
    target = f"{subject} {reply}" if reply else subject
    return b"HPUB %s %d %d\r\n%s%s\r\n" % (target.encode(), len(headers), len(headers) + len(payload), headers, payload)


async def send_all(nc, commands: list[bytes]) -> None:
    """Protocol commands handed to the client's write buffer in one piece. nats-py's
    ``publish`` does this per message with a subject check, a regular expression per
    header and a flush signal each: a sixth of a consumer's CPU for its acks and its
    relay's publishes. Our subjects, ids and replies are our own tokens, checked when made."""
    if nc.is_closed:
        raise ConnectionClosedError
    data = b"".join(commands)
    if not nc.is_connected and (nc._max_pending_size <= 0 or nc._pending_data_size + len(data) > nc._max_pending_size):
        raise OutboundBufferLimitError  # reconnecting, and the buffer for that is full
    await nc._send_command(data)
    if nc._flush_queue is not None and nc._flush_queue.empty():
        await nc._flush_pending()


async def ack_all(messages: list) -> None:
    """Acknowledges JetStream messages together (an empty reply to each is an ack)."""
    if not messages:
        return
    await send_all(messages[0]._client, [b"PUB %s 0\r\n\r\n" % m.reply.encode() for m in messages])
    for m in messages:
        m._ackd = True


def _status(msg) -> str | None:
    headers = msg.headers
    return headers.get("Status") if headers else None


def _pending_behind(message) -> int:
    """How many messages the consumer had waiting behind this one when it was delivered."""
    try:
        return message.metadata.num_pending
    except Exception:  # not a JetStream delivery: assume a trickle
        return 0


def _age_s(message) -> float:
    """How long ago the stream stored this message (0 if unknown)."""
    try:
        return time.time() - message.metadata.timestamp.timestamp()
    except Exception:
        return 0.0


async def _raw(msg) -> bytes:
    # Decoding is ours (one typed msgspec call per event); FastStream only hands over bytes.
    return msg.body


def publisher(broker: NatsBroker, stream_name: str) -> "_Publisher":
    """The relay's publish: sends at once and hands back the acknowledgement to await, so a
    batch of rows goes out back to back on one connection (in order) without a task or a
    request round trip each."""
    return _Publisher(broker, stream_name)


MAX_ATOMIC_BATCH = 1000  # nats-server's limit of messages in one atomic batch


class _PubAck(msgspec.Struct):
    stream: str = ""
    seq: int = 0
    duplicate: bool = False
    count: int = 0  # messages in an atomic batch
    error: dict | None = None


class PublishRefused(RuntimeError):
    pass


class TooLarge(PublishRefused, RefusedForGood):
    """Larger than the server takes: never sent, since nats-server closes the connection
    of a client that sends one (nats-py's ``publish`` checks this; our raw commands must)."""


class Unstorable(PublishRefused, RefusedForGood):
    """JetStream will never store this message as it is (over the stream's size limits)."""


# JetStream's error codes for a message it will never store as it is: message size
# (10054) and header size (10097) over the stream's limits.
UNSTORABLE_CODES = frozenset({10054, 10097})


class _Publisher:
    """JetStream publish with acknowledgement, pipelined: each message carries a reply
    subject under one inbox of ours, and the acknowledgement settles its future.

    nats-py's ``publish_async`` does the same with, per message, a random token from the
    OS, a semaphore and a JSON and dataclass decode of the acknowledgement; here the token
    is a counter and the acknowledgement one msgspec decode. An acknowledgement that never
    comes (a lost connection) is the relay's timeout: the row is published again."""

    max_batch = MAX_ATOMIC_BATCH

    def __init__(self, broker: NatsBroker, stream_name: str) -> None:
        self.broker = broker
        self.stream_name = stream_name
        self._stream = stream_name.encode()
        self._nc = None
        self._prefix = ""
        self._next = 0
        self._waiting: dict[str, tuple[asyncio.Future, int | None]] = {}
        self._decode = msgspec.json.Decoder(_PubAck).decode

    async def __call__(self, subject: str, payload: bytes, event_id: str) -> asyncio.Future:
        nc = await self._client()
        headers = self._headers(event_id)
        _fits(nc, event_id, len(headers) + len(payload))
        token, future = self._expect()
        return await self._send(nc, [_hpub(subject, self._prefix + token, headers, payload)], future)

    async def batch(self, messages: list[tuple[str, bytes, str]]) -> asyncio.Future:
        """Publishes (subject, payload, event id) messages as one JetStream atomic batch:
        stored together or not at all, behind one write (one fsync with ``sync_interval:
        always``, where each single publish costs one). The future settles with the
        acknowledgement of the whole batch. JetStream refuses a batch that holds an id it
        already has (a row published before its mark was lost): the relay then publishes
        those rows one by one, and the copies are dropped."""
        if not 0 < len(messages) <= MAX_ATOMIC_BATCH:
            raise ValueError(f"an atomic batch holds 1 to {MAX_ATOMIC_BATCH} messages, not {len(messages)}")
        nc = await self._client()
        room = nc.max_payload - len(self._headers("", _BATCH_HEADERS_ROOM))
        for _, payload, event_id in messages:  # one too large: the relay sends them one by one
            if len(event_id) + len(payload) > room:
                _fits(nc, event_id, len(self._headers(event_id, _BATCH_HEADERS_ROOM)) + len(payload))
        batch_id = nc._nuid.next()
        last = len(messages)
        token, future = self._expect(expected_count=last)
        commands = []
        for i, (subject, payload, event_id) in enumerate(messages, 1):
            batched = b"Nats-Batch-Id: %s\r\nNats-Batch-Sequence: %d\r\n" % (batch_id, i)
            if i == last:  # the commit carries the reply the acknowledgement comes back on
                commands.append(_hpub(subject, self._prefix + token,
                                      self._headers(event_id, batched + b"Nats-Batch-Commit: 1\r\n"), payload))
            else:
                commands.append(_hpub(subject, "", self._headers(event_id, batched), payload))
        return await self._send(nc, commands, future)

    def _headers(self, event_id: str, more: bytes = b"") -> bytes:
        return b"NATS/1.0\r\nNats-Msg-Id: %s\r\nNats-Expected-Stream: %s\r\n%s\r\n" % (
            event_id.encode(), self._stream, more)

    @staticmethod
    async def _send(nc, commands: list[bytes], future: asyncio.Future) -> asyncio.Future:
        """Sends the commands; the acknowledgement's future, cancelled if they did not go out."""
        try:
            await send_all(nc, commands)
        except BaseException:
            future.cancel()
            raise
        return future

    async def _client(self):
        nc = self.broker.config.connection_state.stream._nc
        if nc is not self._nc:  # first use, or a new client
            self.lost()
            self._prefix = nc.new_inbox() + "."
            await nc.subscribe(self._prefix + "*", cb=self._on_ack)
            self._nc = nc
        return nc

    def lost(self) -> None:
        """The connection dropped: the acknowledgements still awaited will never come
        (they were to come on it), so they fail now and the relay publishes those rows
        again at once, rather than after its acknowledgement timeout."""
        for future, _ in list(self._waiting.values()):
            if not future.done():
                future.set_exception(ConnectionClosedError())

    def _expect(self, expected_count: int | None = None) -> tuple[str, asyncio.Future]:
        self._next += 1
        token = str(self._next)
        future = asyncio.get_running_loop().create_future()
        self._waiting[token] = (future, expected_count)
        future.add_done_callback(lambda _, token=token: self._waiting.pop(token, None))
        return token, future

    async def _on_ack(self, msg) -> None:
        future, expected_count = self._waiting.get(msg.subject[len(self._prefix):], (None, None))
        if future is None or future.done():
            return
        status = _status(msg)
        if status:  # 503: no stream takes this subject (no responders)
            future.set_exception(PublishRefused(f"status {status} {msg.headers.get('Description', '')}".strip()))
            return
        try:
            ack = self._decode(msg.data)
        except msgspec.DecodeError as exc:
            future.set_exception(PublishRefused(f"unreadable acknowledgement: {exc}"))
            return
        if ack.error:
            refused = Unstorable if ack.error.get("err_code") in UNSTORABLE_CODES else PublishRefused
            future.set_exception(refused(f"{ack.error.get('code')} {ack.error.get('description')}"))
        elif expected_count is not None and ack.count != expected_count:
            # A server without atomic batches (before 2.12) stores and acknowledges the
            # messages one by one: only the last is known to be stored.
            future.set_exception(PublishRefused(f"batch of {expected_count} acknowledged as {ack.count}"))
        else:
            future.set_result(ack)
