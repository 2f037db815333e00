"""Webhooks: register an endpoint, queue a delivery for every event an endpoint wants (its
department's work-order events from dispatch's own stream, its plaza's notices from the
notices' stream: a delivery exists only for a committed, published event), send what is
due, redeliver by hand. Each use case is one transaction; the POSTs themselves happen
outside any transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx

from libs.contracts import utcnow
from libs.contracts.envelope import new_event_id
from libs.contracts.events import encode
from libs.runtime import logging as log
from libs.runtime.errors import NotFound
from libs.runtime.uow import Tx
from services.dispatch.webhooks import domain, store

logger = log.get("webhooks")

LEASE = dt.timedelta(minutes=2)  # a claimed delivery is not claimed again before this
ROUND = 50  # deliveries sent per round


async def register(conn, plaza_id: str, *, url: str, department: str, events: list[str], secret: str | None,
                   actor: str, allow_http: bool) -> dict:
    row = {"id": new_event_id(), "plaza_id": plaza_id, "department": department,
           "url": domain.check_url(url, allow_http=allow_http), "secret": secret or domain.new_secret(),
           "events": domain.check_events(events), "active": True, "created_by": actor, "created_at": utcnow()}
    await store.add_endpoint(conn, row)
    logger.info("webhook_registered", endpoint_id=row["id"], department=department, url=url, by=actor)
    return row


async def deactivate(conn, plaza_id: str, endpoint_id: str, actor: str) -> None:
    if await store.endpoint(conn, plaza_id, endpoint_id) is None:
        raise NotFound(f"no webhook endpoint {endpoint_id} at this plaza", field="endpoint_id")
    await store.deactivate(conn, plaza_id, endpoint_id)
    logger.info("webhook_deactivated", endpoint_id=endpoint_id, by=actor)


async def queue_deliveries(tx: Tx, events: list) -> None:
    """A delivery for each endpoint that wants each event (its plaza, its types, and for a
    work order its department), work-order and notice events alike."""
    if not events:
        return
    endpoints = await store.active_endpoints_of(tx.conn, {e.plaza_id for e in events})
    if not endpoints:
        return
    now, rows = utcnow(), []
    for event in events:
        department = getattr(event, "department", None)  # a notice is the whole plaza's
        for ep in endpoints:
            if ep["plaza_id"] == event.plaza_id and domain.wants(ep, type(event).__name__, department):
                rows.append({"id": new_event_id(), "endpoint_id": ep["id"], "plaza_id": event.plaza_id,
                             "event_id": event.id, "event_type": type(event).__name__, "payload": encode(event),
                             "status": "pending", "attempts": 0, "created_at": now, "since": now,
                             "next_attempt_at": now})
    await store.queue(tx.conn, rows)


async def deliver_due(db, client: httpx.AsyncClient, *, backoff_s: tuple[float, ...] = domain.BACKOFF_S) -> int:
    """One round: claim what is due, POST each (concurrently), record each answer."""
    now = utcnow()
    async with db.write() as conn:
        due = await store.claim_due(conn, now, now + LEASE, ROUND)
    if not due:
        return 0
    results = await asyncio.gather(*(_post(client, d) for d in due))
    async with db.write() as conn:
        for d, (status, text, ms) in zip(due, results):
            attempts = d["attempts"] + 1
            at = utcnow()
            if domain.delivered(status):
                after = {"status": "delivered", "attempts": attempts, "next_attempt_at": None, "delivered_at": at}
            else:
                retry_at = domain.next_attempt(d["since"], attempts, at, backoff_s)
                gave_up = retry_at is None
                after = {"status": "failed" if gave_up else "pending", "attempts": attempts, "next_attempt_at": retry_at}
                logger.info("webhook_delivery_failed", delivery_id=d["id"], event_id=d["event_id"], status=status,
                            attempt=attempts, gave_up=gave_up)
            await store.record_attempt(conn, {"delivery_id": d["id"], "attempt": attempts, "at": at,
                                              "status_code": status, "response": text, "duration_ms": ms}, after)
    return len(due)


async def _post(client: httpx.AsyncClient, d: dict) -> tuple[int | None, str, int]:
    body = d["payload"]
    headers = {"Content-Type": "application/json", "User-Agent": "PlazaDesk-Webhooks/1",
               domain.SIGNATURE_HEADER: domain.sign(d["secret"], body, int(time.time())),
               "PlazaDesk-Event-Id": d["event_id"], "PlazaDesk-Event-Type": d["event_type"],
               "PlazaDesk-Delivery": d["id"]}
    started = time.perf_counter()
    try:
        r = await client.post(d["url"], content=body, headers=headers)
        return r.status_code, r.text[:500], int((time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500], int((time.perf_counter() - started) * 1000)


async def deliveries(conn, plaza_id: str, endpoint_id: str, *, status: str | None, limit: int) -> list[dict]:
    if await store.endpoint(conn, plaza_id, endpoint_id) is None:
        raise NotFound(f"no webhook endpoint {endpoint_id} at this plaza", field="endpoint_id")
    rows = await store.deliveries(conn, plaza_id, endpoint_id, status=status, limit=limit)
    attempts = await store.attempts_of(conn, [r["id"] for r in rows])
    return [{**r, "attempts_made": attempts[r["id"]]} for r in rows]


async def redeliver(conn, plaza_id: str, delivery_id: str, actor: str) -> dict:
    """Send it again now (a delivered one too: the receiver asked for it again), whatever its
    age; the back-off starts over from this attempt's failures."""
    row = await store.delivery(conn, plaza_id, delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id} at this plaza", field="delivery_id")
    await store.requeue(conn, delivery_id, utcnow(), actor)
    logger.info("webhook_redelivery", delivery_id=delivery_id, event_id=row["event_id"], by=actor)
    return {**row, "status": "pending"}
