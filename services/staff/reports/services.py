"""Use cases of the supervisor's reports: staff's projections of intake's requests (who
took each, how a call was answered), dispatch's work orders (which request each came
from) and survey's answered visits, kept from their events; and the month's phone
etiquette figures per clerk."""

from __future__ import annotations

import msgspec

from libs.contracts.intake import RequestReceived
from libs.contracts.survey import VisitCompleted
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.attendance import domain as attendance_domain
from services.staff.posts.domain import Refused
from services.staff.reports import domain, store


class PhoneEtiquette(msgspec.Struct, kw_only=True):
    plaza_id: str
    month: str
    three_rings_s: int
    items: list[domain.ClerkFigures]


async def record_events(tx: Tx, events: list) -> None:
    """A batch of intake's, dispatch's or survey's events into the projections."""
    requests, orders, ratings = [], [], []
    for e in events:
        if isinstance(e, RequestReceived):
            call = e.call
            requests.append({
                "request_id": e.request_id, "plaza_id": e.plaza_id, "received_by": e.received_by,
                "channel": e.channel, "received_at": e.occurred_at,
                "rang_at": call.rang_at if call else None, "answered_at": call.answered_at if call else None,
                "greeting": call.greeting if call else None, "read_back": call.read_back if call else None,
            })
        elif getattr(e, "work_order_id", None) and getattr(e, "request_id", None):  # a work-order event
            orders.append({"work_order_id": e.work_order_id, "plaza_id": e.plaza_id, "request_id": e.request_id})
        elif isinstance(e, VisitCompleted):
            ratings.append({"visit_id": e.visit_id, "plaza_id": e.plaza_id, "work_order_id": e.work_order_id,
                            "rating": e.rating, "occurred_at": e.occurred_at})
    await store.add_calls(tx.conn, requests)
    await store.add_work_orders(tx.conn, list({r["work_order_id"]: r for r in orders}.values()))
    await store.add_ratings(tx.conn, list({r["visit_id"]: r for r in ratings}.values()))


async def phone_etiquette(conn, plaza_id: str, month: str) -> PhoneEtiquette:
    try:
        start, end = attendance_domain.month_bounds(month, await facts.zone(conn, plaza_id))
    except Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc
    calls = [domain.Call(received_by=r["received_by"], rang_at=r["rang_at"], answered_at=r["answered_at"],
                         greeting=bool(r["greeting"]), read_back=bool(r["read_back"]))
             for r in await store.requests_between(conn, plaza_id, start, end)
             if r["channel"] == "phone" and r["answered_at"] is not None and r["received_by"]]
    ratings = await store.ratings_of(conn, plaza_id, start, end)
    return PhoneEtiquette(plaza_id=plaza_id, month=month, three_rings_s=int(domain.THREE_RINGS.total_seconds()),
                          items=domain.figures(calls, ratings))
