"""The bus, used the same way by every service.

- ``declare_own_stream``: a service declares only its own stream (and the shared
  dead-letter stream), with a duplicate window for ``Nats-Msg-Id`` dedup.
- ``Consumers.subscribe`` / ``subscribe_batch``: a durable pull consumer fetching batches.
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
import types
from collections.abc import Awaitable, Callable

import msgspec
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.errors import ConnectionClosedError
from nats.js.errors import NotFoundError, ServiceUnavailableError

from libs.contracts import STREAMS, Event, dead_letter_subject, validate_token
from libs.contracts.events import DECODERS
from libs.contracts.subjects import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS
from libs.runtime import logging as log
from libs.runtime import metrics
from libs.runtime.db import Database
from libs.runtime.errors import DomainError
from libs.runtime.outbox import Tx

logger = log.get("bus")

DUPLICATE_WINDOW_S = 120.0

Handler = Callable[[Tx, Event], Awaitable[None]]
# A set-based handler takes the new events of a whole batch at once (one query per table
# for the batch instead of one per event). It is called with a batch of one on the careful
# path, so a batch handler is also a correct single-event handler.
BatchHandler = Callable[[Tx, list[Event]], Awaitable[None]]


def make_broker(url: str) -> NatsBroker:
    # Our own structlog lines say what happened to each event; FastStream's per-message
    # INFO lines would only repeat them.
    import logging

    return NatsBroker(url, logger=logging.getLogger("faststream.quiet"), log_level=logging.DEBUG)


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
    """The subscriptions of one service; the relay and the handlers share its Database."""

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
        linger_s: float = 0.02,
    ) -> None:
        self.broker = broker
        self.db = db
        self.tx_factory = tx_factory
        self.service = service
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.batch = batch
        self.linger_s = linger_s
        self.streams: set[str] = set()

    def subscribe_batch(self, producer: str, subject_pattern: str, name: str, handler: BatchHandler) -> None:
        """Like ``subscribe``, for a handler that takes the batch's new events in one call:
        already-applied (and twice-fetched) events are filtered out before it is called."""
        self.subscribe(producer, subject_pattern, name, _Batched(handler))

    def subscribe(self, producer: str, subject_pattern: str, name: str, handler: Handler) -> None:
        """``subject_pattern`` is relative to the producer: ``"*.*.work_order.closed"``."""
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
            for m, event, outcome in zip(msgs, events, outcomes):
                await self.settle(durable, m, event, outcome)
                if outcome in done:  # the common outcomes, counted once per batch below
                    done[outcome] += 1
            for outcome, n in done.items():
                if n:
                    metrics.EVENTS_HANDLED.labels(self.service, durable, outcome).inc(n)

        # FastStream declares the durable pull consumer, starts and stops it; the fetch loop
        # is ours. Its own loop keeps fetching until the batch is full or its timeout passes
        # (the whole timeout in every hop when traffic is light), and it hands each batch
        # through its dependency injection, which cost a worker-thread hop per batch. Ours
        # fetches whatever is there (long-polling when nothing is) and calls on_messages.
        subscriber._consume_pull = types.MethodType(_fetch_loop(on_messages, self.linger_s), subscriber)

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

    async def settle(self, durable: str, m, event: Event, outcome: str) -> None:
        if outcome in ("applied", "duplicate"):  # (counted by the caller, per batch)
            await m.ack()
        elif outcome.startswith("dead:"):
            await self.dead_letter(durable, m, outcome[5:], event)
        else:
            delivered = m.metadata.num_delivered
            if delivered >= self.max_deliver:
                await self.dead_letter(
                    durable, m, f"gave up after {delivered} deliveries: {outcome[6:]}", event
                )
            else:
                metrics.EVENTS_HANDLED.labels(self.service, durable, "retried").inc()
                await m.nak(delay=min(0.2 * 2 ** (delivered - 1), 5.0))

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


def _fetch_loop(handle: Callable[[list], Awaitable[None]], linger_s: float):
    """Replaces FastStream's fetch loop of one subscriber (see ``Consumers.subscribe``).

    It long-polls for one message, then pulls exactly as many as that message says are
    pending behind it (up to a batch), so the pull is met at once: asked for a whole batch
    while the consumer was idle, a pull that was not filled lingered until it expired,
    holding a steady flow's last events for seconds.

    A batch costs a transaction, a commit (an fsync) and a relay round whatever its size,
    so under a steady trickle one event per batch spends most of the CPU on that. When less
    than a batch is pending, the loop waits ``linger_s`` for more and takes what arrived
    (bounded by a short timeout): ``linger_s`` (20 ms by default) of latency for several
    times fewer commits."""

    async def consume_pull(self) -> None:
        size = self.pull_sub.batch_size

        async def take(n: int, timeout: float) -> list:
            """Up to n messages already there, waiting at most ``timeout`` for them."""
            try:
                return await _pull(self.subscription, n, timeout)
            except (ConnectionClosedError, ServiceUnavailableError):
                return []  # apply what we have; the next fetch deals with the connection

        while self.running:
            try:
                messages = await _pull(self.subscription, 1, 5.0)
            except (ConnectionClosedError, ServiceUnavailableError):
                await asyncio.sleep(0.5)  # unacknowledged messages are redelivered by the server
                continue
            if size > 1 and messages and self.running:
                behind = _pending_behind(messages[0])
                if behind:  # a backlog: exactly what is there, so the pull is met at once
                    messages += await take(min(size - 1, behind), 0.1)
                if linger_s and behind < size - 1 and len(messages) < size and self.running:
                    await asyncio.sleep(linger_s)  # a trickle: what arrives meanwhile
                    messages += await take(size - len(messages), 0.002)
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


async def _pull(psub, n: int, timeout: float) -> list:
    """One pull request for up to ``n`` messages of a pull subscription (nats-py's
    ``PullSubscription``), waiting at most ``timeout``: the server sends what it has, up to
    n, and ends a pull it cannot fill when it expires.

    nats-py's own ``fetch`` waits for each message of a batch with a task of its own (two,
    with a uuid4 name), which was a tenth of a consumer's CPU when draining; here the
    messages a burst has already queued are taken without waiting, and one timeout covers
    the whole pull."""
    sub = psub._sub
    if psub._nc.is_closed:
        raise ConnectionClosedError
    queue = sub._pending_queue
    msgs: list = []
    # Whatever a pull we stopped waiting for delivered after all: messages count, stale
    # status messages (that pull's end) do not.
    while not queue.empty() and len(msgs) < n:
        msg = queue.get_nowait()
        sub._pending_size -= len(msg.data)
        if not _status(msg):
            msgs.append(msg)
    if len(msgs) == n:
        return msgs
    request = {"batch": n - len(msgs), "expires": max(int(timeout * 1e9) - 100_000, 1_000_000)}
    await psub._nc.publish(psub._nms, msgspec.json.encode(request), psub._deliver)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(msgs) < n:
        if queue.empty():
            try:
                async with asyncio.timeout_at(deadline):
                    msg = await queue.get()
            except TimeoutError:
                break
        else:
            msg = queue.get_nowait()
        sub._pending_size -= len(msg.data)
        status = _status(msg)
        if status is None:
            msgs.append(msg)
        elif status != "100":  # 100 is a heartbeat; 404/408/409 and others end this pull
            if status not in ("404", "408", "409"):
                logger.warning("pull_ended", status=status, description=msg.headers.get("Description"))
            break
    return msgs


def _status(msg) -> str | None:
    headers = msg.headers
    return headers.get("Status") if headers else None


def _pending_behind(message) -> int:
    """How many messages the consumer had waiting behind this one when it was delivered."""
    try:
        return message.metadata.num_pending
    except Exception:  # not a JetStream delivery: assume a trickle
        return 0


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
        self._nc = None
        self._prefix = ""
        self._next = 0
        self._waiting: dict[str, tuple[asyncio.Future, int | None]] = {}
        self._decode = msgspec.json.Decoder(_PubAck).decode

    async def __call__(self, subject: str, payload: bytes, event_id: str) -> asyncio.Future:
        nc = await self._client()
        token, future = self._expect()
        headers = {"Nats-Msg-Id": event_id, "Nats-Expected-Stream": self.stream_name}
        try:
            await nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
        except BaseException:
            future.cancel()
            raise
        return future

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
        batch_id = nc._nuid.next().decode()
        last = len(messages)
        token, future = self._expect(expected_count=last)
        try:
            for i, (subject, payload, event_id) in enumerate(messages, 1):
                headers = {"Nats-Msg-Id": event_id, "Nats-Expected-Stream": self.stream_name,
                           "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i)}
                if i == last:
                    headers["Nats-Batch-Commit"] = "1"
                    await nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
                else:
                    await nc.publish(subject, payload, headers=headers)
        except BaseException:
            future.cancel()
            raise
        return future

    async def _client(self):
        nc = self.broker.config.connection_state.stream._nc
        if nc is not self._nc:  # first use, or a new client
            self._prefix = nc.new_inbox() + "."
            await nc.subscribe(self._prefix + "*", cb=self._on_ack)
            self._nc = nc
        return nc

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
            future.set_exception(PublishRefused(f"{ack.error.get('code')} {ack.error.get('description')}"))
        elif expected_count is not None and ack.count != expected_count:
            # A server without atomic batches (before 2.12) stores and acknowledges the
            # messages one by one: only the last is known to be stored.
            future.set_exception(PublishRefused(f"batch of {expected_count} acknowledged as {ack.count}"))
        else:
            future.set_result(ack)
