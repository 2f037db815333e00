"""One durable pull consumer's fetch loop, owned by the runtime (``PullConsumer``), and the
standing pull request that hands it batches (``_Feed``).

The runtime creates (or finds) the durable consumer through nats-py's JetStream API,
subscribes an inbox of its own to receive what its pull requests ask for, and runs the loop
as its own task: started with the service, again after a re-opened connection, stopped at
shutdown. (A framework's fetch loop keeps fetching until the batch is full or its timeout
passes, the whole timeout in every hop when traffic is light, and hands each batch through
its dependency injection: a worker-thread hop per batch.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import msgspec
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError
from nats.js.api import ConsumerConfig
from nats.js.client import DEFAULT_JS_SUB_PENDING_BYTES_LIMIT, DEFAULT_JS_SUB_PENDING_MSGS_LIMIT
from nats.js.errors import ServiceUnavailableError

from libs.runtime import logging as log
from libs.runtime.bus import wire
from libs.runtime.bus.connection import Broker
from libs.runtime.bus.streams import ensure_consumer, next_subject

logger = log.get("bus")


class Lingers(NamedTuple):
    """How long a batch waits for company: ``linger_s``, or ``prompt_s`` once it holds a
    message whose subject ends with one of ``prompt_endings``."""

    linger_s: float
    prompt_s: float | None = None
    prompt_endings: tuple[str, ...] = ()


# How long a pull request stays open on the server (it is renewed as it fills or ends).
PULL_EXPIRES_S = 5.0


class PullConsumer:
    """A durable pull consumer and its fetch loop: a ``_Feed`` hands over batches,
    ``handle`` applies each, and a batch whose code crashed (not an event's failure) is
    handed back to the server to redeliver."""

    def __init__(
        self, stream: str, config: ConsumerConfig, handle: Callable[[list], Awaitable[None]], lingers: Lingers,
        *, batch: int,
    ) -> None:
        self.stream = stream
        self.config = config
        self.durable = config.durable_name
        self.handle = handle
        self.lingers = lingers
        self.batch = batch
        self.running = False
        self._task: asyncio.Task | None = None
        self._sub: Subscription | None = None

    async def start(self, broker: Broker) -> None:
        """On the broker's current connection; the consumer carries on where it was."""
        await ensure_consumer(broker.js, self.stream, self.config)
        nc = broker.nc
        inbox = nc.new_inbox()
        self._sub = await nc.subscribe(
            inbox, pending_msgs_limit=DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
            pending_bytes_limit=DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
        )
        feed = _Feed(nc, self._sub, inbox, next_subject(self.stream, self.durable), self.batch, *self.lingers,
                     expires_s=PULL_EXPIRES_S)
        self.running = True
        self._task = asyncio.create_task(self._run(feed), name=f"pull-{self.durable}")

    async def stop(self) -> None:
        """The loop ends (a batch being applied is abandoned: its messages were not acked,
        and are redelivered); the inbox is unsubscribed where the connection still allows."""
        self.running = False
        task, self._task = self._task, None
        sub, self._sub = self._sub, None
        if sub is not None:
            try:
                await sub.unsubscribe()
            except Exception:
                pass  # a connection closed for good: nothing to unsubscribe from
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, feed: "_Feed") -> None:
        outage = _Outage(self.durable)
        while self.running:
            refused = feed.refused
            try:
                messages = await feed.next_batch()
            except (ConnectionClosedError, ServiceUnavailableError) as exc:
                # Unacknowledged messages are redelivered by the server; a closed connection
                # is re-opened by the runtime, which starts this consumer again.
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
                await self.handle(messages)
            except Exception as exc:  # a crash, not an event's failure: redeliver what is left
                logger.error("consumer_batch_crashed", error=repr(exc), messages=len(messages))
                for m in messages:
                    if not m.is_acked:
                        try:
                            await m.nak(delay=1.0)
                        except Exception:
                            pass  # the server redelivers it after ack_wait anyway


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
        self, nc: Client, sub: Subscription, inbox: str, subject: str, size: int, linger_s: float,
        prompt_s: float | None = None, prompt_endings: tuple[str, ...] = (), expires_s: float = 5.0,
    ) -> None:
        self.nc = nc
        self.sub = sub  # the inbox's subscription: what the pull requests deliver
        self.queue = wire.queued(sub)
        self.inbox = inbox
        self.subject = subject  # where pull requests go
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
        nc = self.nc
        reconnects = nc.stats["reconnects"]
        if self.remaining > 0 and reconnects == self.reconnects and loop.time() - self.opened_at < self.expires_s + 2.0:
            return
        if nc.is_closed:
            raise ConnectionClosedError
        if not nc.is_connected:
            return  # asked again once connected (an idle wait looks every second)
        request = {"batch": self.size, "expires": int(self.expires_s * 1e9)}
        await nc.publish(self.subject, msgspec.json.encode(request), self.inbox)
        self.remaining, self.opened_at, self.reconnects = self.size, loop.time(), reconnects

    async def _wait_one(self, out: list, timeout: float) -> None:
        await self._request()
        try:
            async with asyncio.timeout(timeout):
                msg = await self.queue.get()
        except TimeoutError:
            return
        self._accept(msg, out)

    def _take_queued(self, out: list) -> None:
        queue = self.queue
        while len(out) < self.size and not queue.empty():
            self._accept(queue.get_nowait(), out)

    def _accept(self, msg, out: list) -> None:
        wire.took(self.sub, msg)
        status = wire.status(msg)
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

