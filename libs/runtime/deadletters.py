"""The operator's tools for dead letters: list, show (with the reason), replay to the original
subject once the cause is fixed, or discard with a reason; every replay and discard audited.

A dead letter is a message on the ``DEADLETTER`` stream (``plazadesk.deadletter.<service>.
<consumer>``) holding the original event's bytes and headers naming why it was parked
(libs.runtime.bus.consumers). Replaying publishes the bytes again on the subject they were
first published on: the producer's stream stores them again, every consumer of that subject
gets them, and those that had applied the event find its id in their inbox and only
acknowledge it. The audit trail is a stream of its own, ``OPSAUDIT`` (kept a year): who did
what to which letter, when and why.

Run with the NATS operator's credentials (docs/operations.md, "NATS users and permissions")."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import msgspec
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from libs.contracts import utcnow
from libs.contracts.subjects import DEAD_LETTER_STREAM

AUDIT_STREAM = "OPSAUDIT"
AUDIT_SUBJECT = "plazadesk.audit.ops"
AUDIT_KEEP = dt.timedelta(days=366)


class DeadLetter(msgspec.Struct, kw_only=True):
    seq: int
    consumer: str
    subject: str  # where the event was first published
    reason: str
    deliveries: int | None
    parked_at: str | None
    event_id: str | None
    event_type: str | None
    plaza_id: str | None
    data: bytes


def _letter(m) -> DeadLetter:
    h = m.headers or {}
    try:
        event = json.loads(m.data)
    except ValueError:
        event = {}
    event = event if isinstance(event, dict) else {}
    deliveries = h.get("PlazaDesk-Deliveries")
    return DeadLetter(
        seq=m.seq, consumer=h.get("PlazaDesk-Consumer", ""), subject=h.get("PlazaDesk-Subject", ""),
        reason=h.get("PlazaDesk-Reason", ""), deliveries=int(deliveries) if deliveries and deliveries.isdigit() else None,
        parked_at=m.time.isoformat() if getattr(m, "time", None) else None,
        event_id=event.get("id"), event_type=event.get("type"), plaza_id=event.get("plaza_id"), data=m.data,
    )


async def letters(js, *, consumer: str | None = None, service: str | None = None) -> AsyncIterator[DeadLetter]:
    """The dead letters oldest first, optionally one consumer's or one service's."""
    try:
        state = (await js.stream_info(DEAD_LETTER_STREAM)).state
    except NotFoundError:
        return
    for seq in range(max(state.first_seq, 1), state.last_seq + 1):
        try:
            letter = _letter(await js.get_msg(DEAD_LETTER_STREAM, seq))
        except NotFoundError:
            continue  # replayed or discarded
        if consumer and letter.consumer != consumer:
            continue
        if service and not letter.consumer.startswith(f"{service}-"):
            continue
        yield letter


async def show(js, seq: int) -> DeadLetter:
    try:
        return _letter(await js.get_msg(DEAD_LETTER_STREAM, seq))
    except NotFoundError:
        raise LookupError(f"no dead letter {seq} (replayed or discarded already?)") from None


async def replay(js, seq: int, *, actor: str, reason: str = "") -> DeadLetter:
    """Publish the event again on its first subject, then remove the letter; audited. A
    Nats-Msg-Id of its own: within the stream's duplicate window the event's id would be
    dropped as a copy."""
    letter = await show(js, seq)
    if not letter.subject:
        raise ValueError(f"dead letter {seq} names no subject to replay to")
    await js.publish(letter.subject, letter.data, headers={"Nats-Msg-Id": f"replay-{letter.event_id or seq}-{seq}"})
    await js.delete_msg(DEAD_LETTER_STREAM, seq)
    await audit(js, "dead_letter_replayed", actor=actor, reason=reason, letter=letter)
    return letter


async def discard(js, seq: int, *, actor: str, reason: str) -> DeadLetter:
    """Remove the letter for good, saying why (kept with the whole event in the audit)."""
    if not reason.strip():
        raise ValueError("a discard needs a reason")
    letter = await show(js, seq)
    await js.delete_msg(DEAD_LETTER_STREAM, seq)
    await audit(js, "dead_letter_discarded", actor=actor, reason=reason, letter=letter)
    return letter


async def audit(js, action: str, *, actor: str, reason: str, letter: DeadLetter) -> None:
    await record(js, action, actor=actor, reason=reason, seq=letter.seq, consumer=letter.consumer,
                 subject=letter.subject, letter_reason=letter.reason, event_id=letter.event_id,
                 event_type=letter.event_type, plaza_id=letter.plaza_id, event=letter.data.decode("utf-8", "replace"))


async def record(js, action: str, *, actor: str, reason: str, **what) -> None:
    """One entry of the operators' audit trail (dead letters, events set aside)."""
    await js.add_stream(StreamConfig(name=AUDIT_STREAM, subjects=[f"{AUDIT_SUBJECT}.>"],
                                     max_age=AUDIT_KEEP.total_seconds()))
    entry = {"action": action, "actor": actor, "at": utcnow().isoformat(), "reason": reason, **what}
    await js.publish(f"{AUDIT_SUBJECT}.{action}", json.dumps(entry, ensure_ascii=False, default=str).encode())


async def audit_trail(js, limit: int = 100) -> list[dict]:
    """The newest ``limit`` audit entries, oldest first."""
    try:
        state = (await js.stream_info(AUDIT_STREAM)).state
    except NotFoundError:
        return []
    out = []
    for seq in range(max(state.first_seq, state.last_seq - limit + 1, 1), state.last_seq + 1):
        try:
            out.append(json.loads((await js.get_msg(AUDIT_STREAM, seq)).data))
        except NotFoundError:
            continue
    return out
