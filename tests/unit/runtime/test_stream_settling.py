"""Start-up on a NATS cluster that is still forming: JetStream's API times out or says it is
temporarily unavailable for a while, and a service asks again instead of exiting; an answer
that means something else (the stream is not there, a bad configuration) is not retried."""

from __future__ import annotations

import asyncio

import pytest
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig
from nats.js.errors import APIError, BadRequestError, NotFoundError

from libs.contracts import STREAMS
from libs.contracts.subjects import DEAD_LETTER_STREAM
from libs.runtime.bus import streams


class FormingCluster:
    """A JetStream that times out ``silent`` times, then answers."""

    def __init__(self, silent: int, busy: int = 0):
        self.silent, self.busy = silent, busy
        self.streams: dict[str, object] = {}
        self.consumers: dict[tuple[str, str], object] = {}
        self.asked = 0

    def _answer(self):
        self.asked += 1
        if self.silent:
            self.silent -= 1
            raise NatsTimeoutError
        if self.busy:
            self.busy -= 1
            raise APIError(code=503, err_code=streams.JETSTREAM_BUSY, description="JetStream system temporarily unavailable")

    async def stream_info(self, name):
        self._answer()
        if name not in self.streams:
            raise NotFoundError(code=404, err_code=10059, description="stream not found")
        return self.streams[name]

    async def add_stream(self, config):
        self._answer()
        self.streams[config.name] = config

    async def update_stream(self, config):
        self._answer()
        self.streams[config.name] = config

    async def consumer_info(self, stream, durable):
        self._answer()
        if (stream, durable) not in self.consumers:
            raise NotFoundError(code=404, err_code=10014, description="consumer not found")
        return self.consumers[(stream, durable)]

    async def add_consumer(self, stream, config):
        self._answer()
        self.consumers[(stream, config.durable_name)] = config


class Broker:
    def __init__(self, js):
        self.js = js


@pytest.fixture(autouse=True)
def quick_pauses(monkeypatch):
    sleeps = []
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        sleeps.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(streams.asyncio, "sleep", sleep)
    return sleeps


def test_a_service_declares_its_streams_once_the_cluster_answers():
    js = FormingCluster(silent=3, busy=2)
    asyncio.run(streams.declare_own_stream(Broker(js), "dispatch", replicas=3))
    assert set(js.streams) == {STREAMS["dispatch"].name, DEAD_LETTER_STREAM}
    assert all(config.num_replicas == 3 for config in js.streams.values())


def test_a_consumer_is_created_once_the_cluster_answers():
    js = FormingCluster(silent=2)
    config = ConsumerConfig(durable_name="billing-dispatch", filter_subject="dispatch.>")
    asyncio.run(streams.ensure_consumer(js, "DISPATCH", config))
    assert js.consumers[("DISPATCH", "billing-dispatch")] is config


def test_the_pause_between_asks_grows_and_is_capped(quick_pauses):
    js = FormingCluster(silent=8)
    asyncio.run(streams.settled(lambda: js.update_stream(ConsumerConfig(name="x")), "probe"))
    assert quick_pauses == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_a_cluster_that_never_answers_ends_start_up_with_the_timeout():
    js = FormingCluster(silent=10_000)
    with pytest.raises(NatsTimeoutError):
        asyncio.run(streams.settled(lambda: js.stream_info("DISPATCH"), "probe", timeout=0.0))
    assert js.asked == 1


def test_an_answer_that_means_something_is_not_asked_again():
    calls = []

    async def refused():
        calls.append(1)
        raise BadRequestError(code=400, err_code=10052, description="stream configuration invalid")

    with pytest.raises(BadRequestError):
        asyncio.run(streams.settled(refused, "probe"))
    assert calls == [1]
