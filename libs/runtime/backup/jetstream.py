"""A JetStream stream to a file and back, through the server's own snapshot and restore API
(what ``nats stream backup`` and ``nats stream restore`` do); nats-py has no helper for it.

Snapshot: a request to ``$JS.API.STREAM.SNAPSHOT.<stream>`` names a deliver subject; the
answer holds the stream's configuration and state, then the server sends the snapshot (an
s2-compressed archive of the stream's files, and of its consumers' unless ``no_consumers``)
to the deliver subject in chunks. Each chunk but a short last one carries a reply subject:
answering it is the flow control (the server sends at most a window of unanswered chunks
and gives up after 5 s without an answer). An empty message ends it: status 204 (or none)
when complete, 408 or 500 with the reason when the server gave up.

Restore: a request to ``$JS.API.STREAM.RESTORE.<stream>`` with the configuration and state
answers with a subject to send the chunks to; each is a request answered empty once the
server has taken it, and an empty request ends it, answered with the stream's info or the
error. The stream must not exist yet.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from nats.aio.client import Client

API = "$JS.API"
CHUNK = 128 * 1024  # the server's default chunk; a restore sends the same
WINDOW = 8 * 1024 * 1024
# The server waits 5 s for a chunk's answer: a backup that waits much longer has lost it.
STALL_S = 30.0
STATUS = "Status"


class JetStreamBackupError(RuntimeError):
    pass


class Snapshot:
    """What a snapshot wrote: the file's size and SHA-256, and the stream as the server
    described it when the snapshot began (its configuration and state, as JSON)."""

    def __init__(self, path: Path, size: int, sha256: str, config: dict, state: dict) -> None:
        self.path, self.size, self.sha256, self.config, self.state = path, size, sha256, config, state


async def api(nc: Client, subject: str, body: dict | None = None, timeout: float = 10.0) -> dict:
    """A JetStream API request; its error answer raised."""
    reply = await nc.request(f"{API}.{subject}", json.dumps(body or {}).encode(), timeout=timeout)
    answer = json.loads(reply.data or b"{}")
    if answer.get("error"):
        error = answer["error"]
        raise JetStreamBackupError(f"{subject}: {error.get('description')} ({error.get('err_code')})")
    return answer


async def stream_names(nc: Client) -> list[str]:
    names: list[str] = []
    while True:
        page = await api(nc, "STREAM.NAMES", {"offset": len(names)})
        names += page.get("streams") or []
        if not page.get("streams") or len(names) >= page.get("total", 0):
            return names


async def snapshot(nc: Client, stream: str, path: Path, *, consumers: bool = True) -> Snapshot:
    """The stream (and its durable consumers' state, unless ``consumers`` is False) into
    ``path``. Raises when the server reports a failure or stops sending."""
    deliver = nc.new_inbox()
    chunks: asyncio.Queue = asyncio.Queue()

    async def take(msg) -> None:
        await chunks.put(msg)

    sub = await nc.subscribe(deliver, cb=take)
    digest, size = hashlib.sha256(), 0
    try:
        answer = await api(nc, f"STREAM.SNAPSHOT.{stream}", {
            "deliver_subject": deliver, "no_consumers": not consumers, "chunk_size": CHUNK, "window_size": WINDOW,
        }, timeout=60.0)  # the server prepares the snapshot before it answers
        with open(path, "wb") as out:
            while True:
                try:
                    msg = await asyncio.wait_for(chunks.get(), timeout=STALL_S)
                except asyncio.TimeoutError:
                    raise JetStreamBackupError(f"snapshot of {stream} stalled after {size} bytes") from None
                if not msg.data:
                    status = (msg.headers or {}).get(STATUS, "204")
                    if status != "204":
                        reason = (msg.headers or {}).get("Description", "")
                        raise JetStreamBackupError(f"snapshot of {stream} failed: {status} {reason}".strip())
                    break
                out.write(msg.data)
                digest.update(msg.data)
                size += len(msg.data)
                if msg.reply:  # the short last chunk has none
                    await nc.publish(msg.reply, b"")
            out.flush()
            os.fsync(out.fileno())
    finally:
        await sub.unsubscribe()
    return Snapshot(path, size, digest.hexdigest(), answer.get("config") or {}, answer.get("state") or {})


async def restore(nc: Client, stream: str, path: Path, config: dict, state: dict, *, timeout: float = 60.0) -> dict:
    """The stream (and the consumers in the snapshot) from ``path``; returns its info."""
    answer = await api(nc, f"STREAM.RESTORE.{stream}", {"config": config, "state": state})
    deliver = answer["deliver_subject"]
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            reply = await nc.request(deliver, chunk, timeout=timeout)
            if reply.data:  # only a refusal has a body
                _raise_refusal(stream, reply.data)
    # The server answers the end once it has rebuilt the stream from every chunk.
    done = await nc.request(deliver, b"", timeout=max(timeout, 600.0))
    _raise_refusal(stream, done.data)
    return json.loads(done.data)


def _raise_refusal(stream: str, data: bytes) -> None:
    answer = json.loads(data or b"{}")
    if answer.get("error"):
        error = answer["error"]
        raise JetStreamBackupError(f"restore of {stream} refused: {error.get('description')} ({error.get('err_code')})")


async def exists(nc: Client, stream: str) -> bool:
    try:
        await api(nc, f"STREAM.INFO.{stream}")
        return True
    except JetStreamBackupError as exc:
        if "10059" in str(exc):  # stream not found
            return False
        raise


async def delete(nc: Client, stream: str) -> None:
    await api(nc, f"STREAM.DELETE.{stream}")


async def message_ids_since(nc: Client, stream: str, since: dt.datetime, limit: int = 200_000) -> set[str]:
    """The ``Nats-Msg-Id`` of the stream's messages stored at or after ``since`` (UTC),
    read from the newest back."""
    info = await api(nc, f"STREAM.INFO.{stream}")
    first, last = info["state"]["first_seq"], info["state"]["last_seq"]
    ids: set[str] = set()
    for seq in range(last, max(first, last - limit) - 1, -1):
        try:
            answer = await api(nc, f"STREAM.MSG.GET.{stream}", {"seq": seq})
        except JetStreamBackupError:  # deleted
            continue
        message = answer["message"]
        if utc(message["time"]) < since:
            break
        msg_id = _msg_id(message.get("hdrs"))
        if msg_id:
            ids.add(msg_id)
    return ids


def _msg_id(hdrs: str | None) -> str | None:
    if not hdrs:
        return None
    for line in base64.b64decode(hdrs).decode(errors="replace").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "nats-msg-id":
            return value.strip()
    return None


def utc(text: str) -> dt.datetime:
    """An RFC 3339 time as the server writes it (nanoseconds, ``Z``) as an aware datetime."""
    head, _, frac = text.rstrip("Z").partition(".")
    stamp = dt.datetime.fromisoformat(head).replace(tzinfo=dt.timezone.utc)
    return stamp + dt.timedelta(microseconds=int((frac + "000000")[:6])) if frac else stamp
