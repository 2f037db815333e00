"""Streams and durable consumers on JetStream.

A service declares only its own stream (and the shared dead-letter stream), with a
duplicate window for ``Nats-Msg-Id`` dedup and atomic batches allowed (the relay publishes
a round as one atomic batch). Its consumers attach to other services' streams, which those
services declare."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

from libs.contracts import STREAMS
from libs.contracts.subjects import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS
from libs.runtime import logging as log
from libs.runtime.bus.connection import Broker

logger = log.get("bus")

DUPLICATE_WINDOW_S = 120.0
# How long start-up keeps asking JetStream while it cannot answer yet: a cluster whose nodes
# have just started elects its meta leader first, and a stream on three replicas waits for
# its peers; an answer that times out then is asked again rather than ending the process.
SETTLE_S = 90.0
JETSTREAM_BUSY = 10008  # "JetStream system temporarily unavailable"
T = TypeVar("T")


def _not_answering_yet(exc: Exception) -> bool:
    if isinstance(exc, NotFoundError):
        return False
    if isinstance(exc, (NatsTimeoutError, NoRespondersError, ServiceUnavailableError, asyncio.TimeoutError)):
        return True
    return isinstance(exc, APIError) and exc.err_code == JETSTREAM_BUSY


async def settled(call: Callable[[], Awaitable[T]], what: str, timeout: float = SETTLE_S) -> T:
    """``call()``, asked again with a growing pause while JetStream does not answer yet
    (a timeout, no responders, temporarily unavailable), up to ``timeout`` seconds; any other
    error, and the last of these, is raised as it is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pause = 0.25
    while True:
        try:
            return await call()
        except Exception as exc:
            if not _not_answering_yet(exc) or loop.time() + pause > deadline:
                raise
            logger.warning("jetstream_not_answering_yet", step=what, error=repr(exc), retry_in_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


async def declare_own_stream(broker: Broker, service: str, replicas: int = 1) -> None:
    js = broker.js
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
        await settled(lambda config=config: _declare(js, config), f"declare stream {name}")


async def _declare(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.stream_info(config.name)
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)


async def wait_for_streams(broker: Broker, names: list[str], timeout: float = 60) -> None:
    """Consumers attach to other services' streams, which those services declare."""
    js = broker.js
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for name in names:
        while True:
            try:
                await settled(lambda name=name: js.stream_info(name), f"find stream {name}")
                break
            except NotFoundError:
                if loop.time() > deadline:
                    raise RuntimeError(f"stream {name} was never declared by its service")
                logger.info("waiting_for_stream", stream=name)
                await asyncio.sleep(0.5)


async def ensure_consumer(js: JetStreamContext, stream: str, config: ConsumerConfig) -> None:
    """The durable consumer, created with ``config`` if the stream does not have it yet; one
    that exists carries on where it was, as it is."""
    async def ensure() -> None:
        try:
            await js.consumer_info(stream, config.durable_name)
        except NotFoundError:
            await js.add_consumer(stream, config=config)

    await settled(ensure, f"consumer {config.durable_name} on {stream}")


def next_subject(stream: str, durable: str) -> str:
    """Where a pull request for the durable consumer goes (JetStream's API subject)."""
    return f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
