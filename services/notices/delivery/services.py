"""Sending the queued messages through each channel's provider adapter, with retries: a
message the provider did not take waits longer each time (delivery.domain.next_attempt),
and is marked failed after its last attempt. Each message is settled in its own
transaction after its send, so a crash resends at most the one message in flight."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import utcnow
from libs.runtime import logging as log
from libs.runtime.http import iso
from services.notices.delivery import domain
from services.notices.delivery import store

logger = log.get("notices")
BATCH = 100


async def send_due_messages(runtime, adapters: dict[str, domain.Adapter], now: dt.datetime | None = None,
                            first_wait_s: float = 30.0) -> int:
    """Sends what is due; the number of messages the providers took."""
    now = now or utcnow()
    async with runtime.read() as conn:
        due = await store.due_messages(conn, now, BATCH)
    taken = 0
    for row in due:
        adapter = adapters.get(row["channel"])
        message = domain.Message(id=row["id"], plaza_id=row["plaza_id"], channel=row["channel"],
                                 address=row["address"], text=row["text"])
        attempts = row["attempts"] + 1
        try:
            if adapter is None:
                raise domain.SendFailed(f"no provider is configured for {row['channel']}")
            ref = await adapter.send(message)
        except domain.SendFailed as exc:
            retry = domain.next_attempt(attempts, now, first_wait_s)
            values = {"attempts": attempts, "error": str(exc),
                      "status": "pending" if retry else "failed", "next_attempt_at": retry or now}
            logger.warning("notice_message_failed", message_id=row["id"], channel=row["channel"], attempts=attempts)
        else:
            values = {"attempts": attempts, "status": "sent", "sent_at": now, "provider": adapter.name,
                      "provider_ref": ref, "error": None}
            taken += 1
        async with runtime.transaction() as tx:
            await store.update_message(tx.conn, row["id"], values)
    return taken


class MessageView(msgspec.Struct, kw_only=True):
    unit: str
    channel: str
    address: str | None
    text: str
    status: str
    attempts: int
    sent_at: str | None
    provider: str | None
    provider_ref: str | None
    error: str | None


async def messages_of(conn, plaza_id: str, notice_id: str) -> list[MessageView]:
    return [MessageView(unit=r["unit"], channel=r["channel"], address=r["address"], text=r["text"], status=r["status"],
                        attempts=r["attempts"], sent_at=iso(r["sent_at"]), provider=r["provider"],
                        provider_ref=r["provider_ref"], error=r["error"])
            for r in await store.notice_messages(conn, plaza_id, notice_id)]
