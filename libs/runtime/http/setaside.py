"""The service's own events set aside, over its own API, for the operator: list, show with
the reason and the event, replay after a fix, discard with a reason (libs.runtime.setaside,
the same tools as ``plazadesk set-aside``).

Every replay and discard is audited by the service itself on the operators' audit trail
(``OPSAUDIT``, libs.runtime.deadletters.record, the record the command line writes), with
the token's subject as the actor: a call straight to the API is audited as one from the
console. The record is written before the change: an action that cannot be audited (the bus
away) is not done, and a discarded event is in the audit before it leaves the database.

A global operator handles every event; an operator of some plazas only the events of those
plazas (another plaza's event is not found, as elsewhere a plaza the token does not hold)."""

from __future__ import annotations

import json

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath

from libs.runtime import deadletters, limits, setaside
from libs.runtime import logging as log
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.http.problems import Problem
from libs.runtime.service import Runtime

logger = log.get("setaside")
OPERATOR = "operator"


class SetAsideItem(msgspec.Struct, kw_only=True):
    event_id: str
    event_type: str
    plaza_id: str | None
    subject: str
    failed_at: str | None
    created_at: str | None
    size: int  # the event's bytes
    reason: str  # why the broker refused it


class SetAsideList(msgspec.Struct, kw_only=True):
    service: str
    items: list[SetAsideItem]


class SetAsideEvent(SetAsideItem, kw_only=True):
    service: str
    event: object  # the event as JSON (its text, should it not be JSON)


class Reason(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note = ""  # what was fixed (a replay), why it is dropped (a discard: required)


class Done(msgspec.Struct, kw_only=True):
    service: str
    event_id: str
    event_type: str
    subject: str
    action: str
    actor: str
    reason: str


def _item(row: dict, plaza: str | None) -> SetAsideItem:
    return SetAsideItem(event_id=row["event_id"], event_type=row["event_type"], plaza_id=plaza,
                        subject=row["subject"],
                        failed_at=iso(row["failed_at"]), created_at=iso(row["created_at"]),
                        size=len(row["payload"]), reason=row["reason"])


def _event(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


class _PlazaOf(msgspec.Struct):
    plaza_id: str | None = None


def _plaza(payload: bytes) -> str | None:
    """The event's plaza, read without building the rest of it (an event set aside is often
    one too large for the broker: megabytes)."""
    try:
        return msgspec.json.decode(payload, type=_PlazaOf).plaza_id
    except msgspec.DecodeError:  # not JSON, or not an event
        return None


def _operates(principal: Principal | None, plaza: str | None) -> bool:
    """A global operator: every event; a plaza's operator: that plaza's events."""
    if principal is None:
        return False
    return OPERATOR in (principal.roles if plaza is None else principal.roles_at(plaza))


async def _found(runtime: Runtime, event_id: str, principal: Principal | None) -> tuple[dict, str | None]:
    """The row and its plaza, if this operator handles it."""
    try:
        row = await setaside.show(runtime.db, runtime.metadata, event_id)
    except LookupError as exc:
        raise NotFound(str(exc), field="event_id") from None
    plaza = _plaza(row["payload"])
    if not _operates(principal, plaza):
        raise NotFound(f"no event {event_id} set aside (replayed or discarded already?)", field="event_id")
    return row, plaza


async def _audit(runtime: Runtime, action: str, row: dict, plaza: str | None, *, actor: str, reason: str,
                 **more) -> None:
    js = runtime.broker.js
    try:
        if js is None:
            raise ConnectionError("not connected to the message bus")
        await deadletters.record(js, action, actor=actor, reason=reason, service=runtime.service,
                                 event_id=row["event_id"], event_type=row["event_type"], subject=row["subject"],
                                 plaza_id=plaza, set_aside_reason=row["reason"], **more)
    except Exception as exc:  # noqa: BLE001 — whatever the bus answers, nothing is done unaudited
        logger.warning("set_aside_not_audited", action=action, event_id=row["event_id"], error=repr(exc))
        raise Problem(503, "Service Unavailable",
                      f"the audit trail could not be written ({type(exc).__name__}); nothing was changed, try again",
                      headers={"Retry-After": "5"}) from None


class SetAsideController(Controller):
    path = "/v1/ops/set-aside"
    tags = ["operations"]

    @get("/", summary="搁置的事件 / Events set aside",
         description="消息总线永久拒收（过大、超出流限制）而被搁置的本服务事件，最早的在前；不含事件内容。\n\n"
                     "This service's events the broker refused for good, oldest first, each with its reason; "
                     "the events themselves are not listed.")
    async def index(self, runtime: Runtime, principal: Principal | None = PRINCIPAL) -> SetAsideList:
        rows = await setaside.listed(runtime.db, runtime.metadata)
        items = [_item(r, _plaza(r["payload"])) for r in rows]
        return SetAsideList(service=runtime.service, items=[i for i in items if _operates(principal, i.plaza_id)])

    @get("/{event_id:str}", summary="搁置的事件 / One event set aside",
         description="事件全文（JSON）及原因。\n\nThe event set aside, whole, with its reason.")
    async def show(self, event_id: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL) -> SetAsideEvent:
        row, plaza = await _found(runtime, event_id, principal)
        return SetAsideEvent(**msgspec.structs.asdict(_item(row, plaza)), service=runtime.service,
                             event=_event(row["payload"]))

    @post("/{event_id:str}/replay", status_code=200, summary="重放 / Replay an event set aside",
          description="原因排除后放回发件箱，由本服务的转发再次发布到原主题；记入运维审计。\n\n"
                      "Back into the outbox once the cause is fixed: the service's relay publishes it on its "
                      "subject (set aside again, with the new reason, if the cause remains). Audited.")
    async def replay(self, event_id: FromPath[str], data: Reason, runtime: Runtime, actor: str = ACTOR,
                     principal: Principal | None = PRINCIPAL) -> Done:
        row, plaza = await _found(runtime, event_id, principal)
        reason = data.reason.strip()
        await _audit(runtime, setaside.REPLAYED, row, plaza, actor=actor, reason=reason)
        try:
            row = await setaside.replay(runtime.db, runtime.metadata, event_id)
        except LookupError as exc:
            raise NotFound(str(exc), field="event_id") from None
        return Done(service=runtime.service, event_id=event_id, event_type=row["event_type"], subject=row["subject"],
                    action=setaside.REPLAYED, actor=actor, reason=reason)

    @post("/{event_id:str}/discard", status_code=200, summary="丢弃 / Discard an event set aside",
          description="永久删除，须说明原因；审计记录保留整个事件。\n\n"
                      "Removed for good, with a reason (required); the audit keeps the whole event.")
    async def discard(self, event_id: FromPath[str], data: Reason, runtime: Runtime, actor: str = ACTOR,
                      principal: Principal | None = PRINCIPAL) -> Done:
        reason = data.reason.strip()
        if not reason:
            raise InvalidInput("a discard needs a reason: why the event is dropped", field="reason")
        row, plaza = await _found(runtime, event_id, principal)
        await _audit(runtime, setaside.DISCARDED, row, plaza, actor=actor, reason=reason,
                     event=row["payload"].decode("utf-8", "replace"))
        try:
            await setaside.discard(runtime.db, runtime.metadata, event_id, reason)
        except LookupError as exc:
            raise NotFound(str(exc), field="event_id") from None
        return Done(service=runtime.service, event_id=event_id, event_type=row["event_type"], subject=row["subject"],
                    action=setaside.DISCARDED, actor=actor, reason=reason)
