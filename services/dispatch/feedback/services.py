"""Praise, suggestions and the other requests that are not work. Praise is data for the
department's reports; suggestions are read and answered by the manager (follow-up); every
request that opened no work order is held, so a later correction can still open one."""

from __future__ import annotations

import datetime as dt

from libs.contracts.events import RequestReceived
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.dispatch.feedback import domain, store
from services.dispatch.routing import services as routing
from services.dispatch.routing.domain import praised_department, is_department

DISPATCHED_KINDS = ("service", "complaint")


async def record_feedback(tx: Tx, events: list[RequestReceived]) -> None:
    """Each praise is credited to the department it names, else the one its words point to
    (the plaza's routing rules); each suggestion is kept as said; each request that opens
    no work order is held. A request recorded before is skipped."""
    praised = [e for e in events if e.kind == "praise"]
    rules = await routing.rules_of(tx.conn, {e.plaza_id for e in praised}) if praised else {}
    await store.add_praise(tx.conn, [
        {**_feedback(e), "department": praised_department(e.praised_department, e.text, rules[e.plaza_id])}
        for e in praised
    ])
    await store.add_suggestions(tx.conn, [_feedback(e) for e in events if e.kind == "suggestion"])
    await store.hold_requests(tx.conn, [
        {**_feedback(e), "area": e.area, "kind": e.kind}
        for e in events if not (e.serviceable and e.kind in DISPATCHED_KINDS)
    ])


def _feedback(event: RequestReceived) -> dict:
    return {"plaza_id": event.plaza_id, "request_id": event.request_id, "unit": event.unit,
            "text": event.text, "received_at": event.occurred_at}


async def held_request(conn, plaza_id: str, request_id: str) -> dict | None:
    """A request that opened no work order (its words, unit and area), or None."""
    return await store.held_request(conn, plaza_id, request_id)


async def refile(tx: Tx, request: dict, kind: str, department: str | None, at: dt.datetime) -> None:
    """A request the desk reclassified: it leaves the praise or suggestions it was filed
    under and, turned praise or suggestion, is filed there (praise credited to the
    department the desk named, else the one its words point to). One already filed under
    its kind stays as it is, with its follow-up."""
    plaza_id, request_id = request["plaza_id"], request["request_id"]
    await store.forget_feedback(tx.conn, plaza_id, request_id, keep=kind)
    row = {"plaza_id": plaza_id, "request_id": request_id, "unit": request["unit"], "text": request["text"], "received_at": at}
    if kind == "suggestion":
        await store.add_suggestions(tx.conn, [row])
    elif kind == "praise":
        rules = (await routing.rules_of(tx.conn, {plaza_id}))[plaza_id]
        named = department if department and is_department(department) else None
        await store.add_praise(tx.conn, [{**row, "department": praised_department(named, request["text"], rules)}])


async def follow_up_suggestion(tx: Tx, plaza_id: str, request_id: str, body: domain.SuggestionFollowUp,
                               actor: str, at: dt.datetime) -> dict:
    """One step of the manager's follow-up, kept in its history; returns the suggestion."""
    row = await store.get_suggestion(tx.conn, plaza_id, request_id, lock=True)
    if row is None:
        raise NotFound(f"suggestion {request_id!r} not found in plaza {plaza_id!r}", field="id")
    try:
        state = domain.followed_up(row["state"], body)
    except domain.FollowUpRefused as exc:
        raise (Conflict if exc.conflict else InvalidInput)(str(exc), field=exc.field) from exc
    reply = body.reply.strip() if body.reply else row["reply"]
    await store.update_suggestion(tx.conn, plaza_id, request_id, {"state": state, "reply": reply, "updated_at": at})
    await store.add_follow_up(tx.conn, {
        "plaza_id": plaza_id, "request_id": request_id, "from_state": row["state"], "state": state,
        "reply": body.reply, "note": body.note, "actor": actor, "occurred_at": at,
    })
    return {**row, "state": state, "reply": reply, "updated_at": at}


async def list_suggestions(conn, plaza_id: str, **filters) -> list[dict]:
    """A page of suggestions, each with its follow-up history (one more query for the page)."""
    rows = await store.list_suggestions(conn, plaza_id, **filters)
    history = await store.follow_ups_of(conn, plaza_id, [r["request_id"] for r in rows])
    return [{**r, "history": history[r["request_id"]]} for r in rows]


async def suggestion_shown(conn, row: dict) -> dict:
    history = await store.follow_ups_of(conn, row["plaza_id"], [row["request_id"]])
    return {**row, "history": history[row["request_id"]]}
