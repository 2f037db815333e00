"""Below nats-py's public API, in this one module: raw protocol writes and the few private
attributes of nats-py's client the runtime relies on, each behind a small named function.

Why: nats-py's ``publish`` checks the subject, runs a regular expression per header and
signals a flush for each message, and its ``fetch`` waits for each message with two tasks
and a uuid4; together a sixth of a consumer's CPU (its acks, its relay's publishes) and a
tenth when draining. Our subjects, ids and replies are our own tokens, checked when made.

``PRIVATE_API`` names every private attribute used here. nats-py is pinned to a range in
pyproject.toml, and tests/unit/runtime/test_wire_private_api.py checks each attribute on a
real client: an upgrade that renames or removes one fails that test by name, not production.
"""

from __future__ import annotations

import asyncio

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError, OutboundBufferLimitError

# (class, attribute, what it is) for every private attribute this module touches.
PRIVATE_API: tuple[tuple[type, str, str], ...] = (
    (Client, "_send_command", "appends a protocol command to the write buffer (a coroutine function)"),
    (Client, "_flush_pending", "signals the flusher task to write the buffer (a coroutine function)"),
    (Client, "_flush_queue", "the flusher's signal queue (an asyncio.Queue, None before connecting)"),
    (Client, "_max_pending_size", "the buffer's limit while reconnecting (an int)"),
    (Client, "_pending_data_size", "bytes waiting in the write buffer (an int)"),
    (Subscription, "_pending_queue", "the messages delivered and not yet taken (an asyncio.Queue)"),
    (Subscription, "_pending_size", "their bytes, which the slow-consumer limit counts (an int)"),
    (Msg, "_client", "the connection that delivered the message (a Client)"),
    (Msg, "_ackd", "whether the message was acknowledged (a bool; Msg.is_acked reads it)"),
)


def hpub(subject: str, reply: str, headers: bytes, payload: bytes) -> bytes:
    """One HPUB protocol command (headers end with an empty line)."""
    target = f"{subject} {reply}" if reply else subject
    return b"HPUB %s %d %d\r\n%s%s\r\n" % (target.encode(), len(headers), len(headers) + len(payload), headers, payload)


def status(msg: Msg) -> str | None:
    """A JetStream status message's code (``Status`` header), None for a message."""
    headers = msg.headers
    return headers.get("Status") if headers else None


async def send_all(nc: Client, commands: list[bytes]) -> None:
    """Protocol commands handed to the client's write buffer in one piece, with one flush
    signal, refused as nats-py's ``publish`` refuses them (closed; reconnecting with the
    buffer for that full)."""
    if nc.is_closed:
        raise ConnectionClosedError
    data = b"".join(commands)
    if not nc.is_connected and (nc._max_pending_size <= 0 or nc._pending_data_size + len(data) > nc._max_pending_size):
        raise OutboundBufferLimitError  # reconnecting, and the buffer for that is full
    await nc._send_command(data)
    if nc._flush_queue is not None and nc._flush_queue.empty():
        await nc._flush_pending()


async def ack_all(messages: list[Msg]) -> None:
    """Acknowledges JetStream messages together (an empty reply to each is an ack), in one
    write on the connection that delivered them."""
    if not messages:
        return
    await send_all(messages[0]._client, [b"PUB %s 0\r\n\r\n" % m.reply.encode() for m in messages])
    for m in messages:
        m._ackd = True  # as Msg.ack does: is_acked is true, a second ack is refused


def queued(sub: Subscription) -> asyncio.Queue:
    """The messages delivered to a subscription without a callback and not yet taken: taken
    straight from the queue, a whole batch without a task or a timeout per message."""
    return sub._pending_queue


def took(sub: Subscription, msg: Msg) -> None:
    """A message taken from ``queued``: its bytes no longer count towards the
    subscription's slow-consumer limit (as ``Subscription.next_msg`` does)."""
    sub._pending_size -= len(msg.data)
