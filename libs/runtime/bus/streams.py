"""Streams and durable consumers on JetStream.

A service declares only its own stream (and the shared dead-letter stream), with a
duplicate window for ``Nats-Msg-Id`` dedup and atomic batches allowed (the relay publishes
a round as one atomic batch). Its consumers attach to other services' streams, which those
services declare."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from libs.contracts import STREAMS
from libs.contracts.subjects import DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECTS
from libs.runtime import logging as log
from libs.runtime.bus.connection import Broker

logger = log.get("bus")

DUPLICATE_WINDOW_S = 120.0


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
        try:
            await js.stream_info(name)
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
                await js.stream_info(name)
                break
            except NotFoundError:
                if loop.time() > deadline:
                    raise RuntimeError(f"stream {name} was never declared by its service")
                logger.info("waiting_for_stream", stream=name)
                await asyncio.sleep(0.5)


async def ensure_consumer(js: JetStreamContext, stream: str, config: ConsumerConfig) -> None:
    """The durable consumer, created with ``config`` if the stream does not have it yet; one
    that exists carries on where it was, as it is."""
    try:
        await js.consumer_info(stream, config.durable_name)
    except NotFoundError:
        await js.add_consumer(stream, config=config)


def next_subject(stream: str, durable: str) -> str:
    """Where a pull request for the durable consumer goes (JetStream's API subject)."""
    return f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
