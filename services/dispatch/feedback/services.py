"""Praise and suggestions: requests that are not work. Praise is data for the department's
reports; suggestions are read by the manager."""

from __future__ import annotations

from libs.contracts.events import RequestReceived
from libs.runtime.uow import Tx
from services.dispatch.feedback import store
from services.dispatch.routing import services as routing
from services.dispatch.routing.domain import praised_department


async def record_feedback(tx: Tx, events: list[RequestReceived]) -> None:
    """Each praise is credited to the department it names, else the one its words point to
    (the plaza's routing rules); each suggestion is kept as said. A request recorded
    before is skipped."""
    praised = [e for e in events if e.kind == "praise"]
    rules = await routing.rules_of(tx.conn, {e.plaza_id for e in praised}) if praised else {}
    await store.add_praise(tx.conn, [
        {**_feedback(e), "department": praised_department(e.praised_department, e.text, rules[e.plaza_id])}
        for e in praised
    ])
    await store.add_suggestions(tx.conn, [_feedback(e) for e in events if e.kind == "suggestion"])


def _feedback(event: RequestReceived) -> dict:
    return {"plaza_id": event.plaza_id, "request_id": event.request_id, "unit": event.unit,
            "text": event.text, "received_at": event.occurred_at}
