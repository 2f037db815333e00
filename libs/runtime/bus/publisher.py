"""The relay's publish to JetStream (``publisher``): pipelined single messages, and atomic
batches stored together or not at all."""

from __future__ import annotations

import asyncio

import msgspec
from nats.aio.client import Client
from nats.errors import ConnectionClosedError
from nats.nuid import NUID

from libs.runtime.bus import wire
from libs.runtime.bus.connection import Broker
from libs.runtime.uow import RefusedForGood


# Room for the headers an atomic batch adds to a message (batch id, sequence, commit, and a
# W3C traceparent when traces are on).
_BATCH_HEADERS_ROOM = b"Nats-Batch-Id: %s\r\nNats-Batch-Sequence: 1000\r\nNats-Batch-Commit: 1\r\n%s" % (
    b"x" * 22, b"traceparent: 00-%s-%s-01\r\n" % (b"0" * 32, b"0" * 16))


def _fits(nc, event_id: str, size: int) -> None:
    """nats-server closes the connection of a client that sends a message over its
    ``max_payload`` (headers and payload together): such a message is refused here."""
    if size > nc.max_payload:
        raise TooLarge(f"event {event_id} is {size} bytes; the NATS server takes at most {nc.max_payload} (max_payload)")



def publisher(broker: Broker, stream_name: str) -> "_Publisher":
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

    def __init__(self, broker: Broker, stream_name: str) -> None:
        self.broker = broker
        self.stream_name = stream_name
        self._stream = stream_name.encode()
        self._nc = None
        self._prefix = ""
        self._next = 0
        self._waiting: dict[str, tuple[asyncio.Future, int | None]] = {}
        self._decode = msgspec.json.Decoder(_PubAck).decode
        self._nuid = NUID()  # atomic batches' ids

    async def __call__(self, subject: str, payload: bytes, event_id: str, trace: str | None = None) -> asyncio.Future:
        """``trace``: the W3C ``traceparent`` to send along (libs.runtime.tracing), if any."""
        nc = await self._client()
        headers = self._headers(event_id, b"traceparent: %s\r\n" % trace.encode() if trace else b"")
        _fits(nc, event_id, len(headers) + len(payload))
        token, future = self._expect()
        return await self._send(nc, [wire.hpub(subject, self._prefix + token, headers, payload)], future)

    async def batch(self, messages: list[tuple]) -> asyncio.Future:
        """Publishes (subject, payload, event id[, traceparent]) messages as one JetStream atomic batch:
        stored together or not at all, behind one write (one fsync with ``sync_interval:
        always``, where each single publish costs one). The future settles with the
        acknowledgement of the whole batch. JetStream refuses a batch that holds an id it
        already has (a row published before its mark was lost): the relay then publishes
        those rows one by one, and the copies are dropped."""
        if not 0 < len(messages) <= MAX_ATOMIC_BATCH:
            raise ValueError(f"an atomic batch holds 1 to {MAX_ATOMIC_BATCH} messages, not {len(messages)}")
        nc = await self._client()
        room = nc.max_payload - len(self._headers("", _BATCH_HEADERS_ROOM))
        for _, payload, event_id, *_ in messages:  # one too large: the relay sends them one by one
            if len(event_id) + len(payload) > room:
                _fits(nc, event_id, len(self._headers(event_id, _BATCH_HEADERS_ROOM)) + len(payload))
        batch_id = self._nuid.next()
        last = len(messages)
        token, future = self._expect(expected_count=last)
        commands = []
        for i, (subject, payload, event_id, *trace) in enumerate(messages, 1):
            batched = b"Nats-Batch-Id: %s\r\nNats-Batch-Sequence: %d\r\n" % (batch_id, i)
            if trace and trace[0]:
                batched += b"traceparent: %s\r\n" % trace[0].encode()
            if i == last:  # the commit carries the reply the acknowledgement comes back on
                commands.append(wire.hpub(subject, self._prefix + token,
                                      self._headers(event_id, batched + b"Nats-Batch-Commit: 1\r\n"), payload))
            else:
                commands.append(wire.hpub(subject, "", self._headers(event_id, batched), payload))
        return await self._send(nc, commands, future)

    def _headers(self, event_id: str, more: bytes = b"") -> bytes:
        return b"NATS/1.0\r\nNats-Msg-Id: %s\r\nNats-Expected-Stream: %s\r\n%s\r\n" % (
            event_id.encode(), self._stream, more)

    @staticmethod
    async def _send(nc, commands: list[bytes], future: asyncio.Future) -> asyncio.Future:
        """Sends the commands; the acknowledgement's future, cancelled if they did not go out."""
        try:
            await wire.send_all(nc, commands)
        except BaseException:
            future.cancel()
            raise
        return future

    async def _client(self) -> Client:
        nc = self.broker.nc
        if nc is None:  # being re-opened
            raise ConnectionClosedError
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
        status = wire.status(msg)
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
