"""Dispatch use cases: each one function, one transaction, its events to the outbox.

The clock is ``now()`` here, read at every call, so tests swap it (monkeypatch) to move
time past a deadline instead of waiting; SLA and stock use cases get it as a parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NamedTuple

import msgspec

from libs.contracts import new_event_id, utcnow, validate_token
from libs.contracts.events import (
    ChargeLine,
    HandoverInspected,
    Material,
    RequestReceived,
    VisitCompleted,
    WorkOrderAssigned,
    WorkOrderCancelled,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
    WorkOrderResolved,
    WorkOrderStarted,
)
from libs.contracts.subjects import InvalidToken
from libs.runtime import limits
from libs.runtime import logging as log
from libs.runtime.bus import log_context
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.dispatch import domain, domain_reports, domain_sla, services_routing, services_sla, services_stock, store, store_sla

logger = log.get("dispatch")

NonNegativeFen = limits.Fen


def now() -> dt.datetime:
    return utcnow()


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Who asked over HTTP, and the id of that command (the causation of what it emits)."""

    actor: str = "front-desk"
    id: str = msgspec.field(default_factory=new_event_id)


class WorkOrderAssign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee: limits.line(100, min_length=1)


class MaterialLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A line naming a ``sku`` is issued from the plaza's stock; name and price then default
    to the stock item's. A line without one is bought in and needs both."""

    quantity: Annotated[int, msgspec.Meta(gt=0, le=limits.QUANTITY_MAX)]
    name: limits.line(limits.NAME_MAX, min_length=1) | None = None
    unit_price_fen: NonNegativeFen | None = None
    sku: limits.Code | None = None


class WorkOrderResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    paid: bool
    labour_fen: NonNegativeFen = 0
    materials: limits.items(MaterialLine, limits.MATERIALS_MAX) = []
    note: limits.Note | None = None


class WorkOrderCancel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note


# --- opening ---------------------------------------------------------------------------


class _Opening(NamedTuple):
    cause: RequestReceived | HandoverInspected  # the actor, the causation and the log context
    row: dict


class _Writes:
    """What a batch writes at its end, one statement per table; its events are emitted in
    place, so the outbox keeps the order one-at-a-time processing gives."""

    def __init__(self) -> None:
        self.deadlines: list[dict] = []
        self.escalations: list[dict] = []

    async def escalate(self, tx: Tx, row: dict, level: str, reason: str, **how) -> None:
        event, record = services_sla.escalation(row, level, reason, **how)
        await tx.emit(event)
        self.escalations.append(record)

    async def flush(self, tx: Tx) -> None:
        await store_sla.add_deadlines(tx.conn, self.deadlines)
        await store_sla.add_escalations(tx.conn, self.escalations)


async def open_work_orders(tx: Tx, events: list[RequestReceived]) -> list[str]:
    """Each serviceable service request or complaint becomes one work order, however often
    its RequestReceived arrives (in one batch or many); returns the new work orders' ids.
    Praise and suggestions are recorded for the reports instead."""
    rules = await services_routing.rules_of(tx.conn, {e.plaza_id for e in events})
    opened = now()  # one transaction, one instant: the batch's jobs share their deadlines
    openings, praise, suggestions = [], [], []
    for event in events:
        if event.kind == "suggestion":
            suggestions.append(_feedback(event))
        elif event.kind == "praise":
            department = domain.praised_department(event.praised_department, event.text, rules[event.plaza_id])
            praise.append({**_feedback(event), "department": department})
        elif not domain.is_dispatched(event.kind, event.serviceable):
            with log_context(event):
                logger.info("request_not_dispatched", request_id=event.request_id, kind=event.kind)
        else:
            department = domain.route(event.text, event.kind, rules[event.plaza_id])
            row = _new_work_order(
                event.plaza_id, event.request_id, event.unit, department, event.kind, event.text, opened,
                priority=domain.priority_of(event.text), major=event.major,
            )
            openings.append(_Opening(event, row))
    await store.add_praise(tx.conn, praise)
    await store.add_suggestions(tx.conn, suggestions)
    return await _open(tx, openings)


async def open_warranty_work_orders(tx: Tx, events: list[HandoverInspected]) -> list[str]:
    """Each handover defect (工程遗留问题) becomes a warranty work order for its department;
    the defect id is the request id, so a redelivered inspection opens nothing twice."""
    opened = now()
    openings = [
        _Opening(event, _new_work_order(
            event.plaza_id, defect.defect_id, event.unit, _department_of(event, defect.department), "service",
            defect.description, opened, priority="normal", warranty=True, responsible_party=defect.responsible_party,
        ))
        for event in events
        for defect in event.defects
    ]
    return await _open(tx, openings)


def _department_of(event: HandoverInspected, department: str) -> str:
    try:
        return validate_token(department, "department")
    except InvalidToken:
        with log_context(event):
            logger.warning("defect_department_not_a_token", department=department)
        return "engineering"


async def _open(tx: Tx, openings: list[_Opening]) -> list[str]:
    """The work orders not open yet, with their deadlines and WorkOrderCreated; a major
    complaint goes to the manager at once. One per plaza and request: the first copy in the
    batch wins, a request already open is skipped. Returns the new ids in order."""
    first: dict[tuple[str, str], _Opening] = {}
    for opening in openings:
        first.setdefault(_request_key(opening.row), opening)
    inserted = await store.add_work_orders(tx.conn, [o.row for o in first.values()])
    policies = await services_sla.policies_of(tx.conn, {plaza_id for plaza_id, _ in inserted})
    writes, new_ids, deadlines_of_kind = _Writes(), [], {}
    for opening in openings:
        row, cause = opening.row, opening.cause
        with log_context(cause):
            if first[_request_key(row)] is not opening or _request_key(row) not in inserted:
                logger.debug("work_order_already_open", request_id=row["request_id"])
                continue
            # A batch's jobs open at one instant, so a plaza's class of job has one set of deadlines.
            kind = (row["plaza_id"], row["sla_class"], row["created_at"])
            if kind not in deadlines_of_kind:
                deadlines_of_kind[kind] = domain_sla.deadlines_for(row["sla_class"], row["created_at"], policies[row["plaza_id"]])
            deadlines = services_sla.deadline_rows(row, deadlines_of_kind[kind])
            writes.deadlines.extend(deadlines)
            await tx.emit(_created(row, cause, {d["name"]: d["due_at"] for d in deadlines}))
            logger.debug("work_order_created", work_order_id=row["id"], department=row["department"])
            if row["major"]:
                await writes.escalate(
                    tx, row, "manager", "major complaint", cause="major", actor=cause.actor, causation_id=cause.id,
                    now=row["created_at"],
                )
            new_ids.append(row["id"])
    await writes.flush(tx)
    # One line per batch: a line per routine job cost a third of the consumer's time, and
    # each new job is on the DISPATCH stream anyway. The per-job lines are at debug.
    if openings:
        logger.info("work_orders_opened", opened=len(new_ids), already_open=len(openings) - len(new_ids))
    return new_ids


def _created(row: dict, cause: RequestReceived | HandoverInspected, due: dict[str, dt.datetime]) -> WorkOrderCreated:
    return WorkOrderCreated(
        **domain.event_fields(row, actor=cause.actor, causation_id=cause.id), occurred_at=row["created_at"],
        text=row["text"], priority=row["priority"], major=row["major"],
        warranty=row["warranty"], responsible_party=row["responsible_party"],
        respond_due_at=due.get("respond"), on_site_due_at=due.get("on_site"), resolve_due_at=due.get("resolve"),
    )


def _request_key(row: dict) -> tuple[str, str]:
    return row["plaza_id"], row["request_id"]


def _new_work_order(
    plaza_id: str, request_id: str, unit: str, department: str, kind: str, text: str, opened: dt.datetime, *,
    priority: str, major: bool = False, warranty: bool = False, responsible_party: str | None = None,
) -> dict:
    return {
        "id": new_event_id(), "plaza_id": plaza_id, "request_id": request_id, "unit": unit,
        "department": department, "original_department": department, "kind": kind,
        "category": domain_reports.complaint_category(text) if kind == "complaint" else None,
        "sla_class": domain_sla.sla_class(kind, priority, warranty), "warranty": warranty,
        "responsible_party": responsible_party, "priority": priority, "text": text, "major": major,
        "status": "created", "assignee": None, "reopen_count": 0, "labour_fen": 0, "materials": [],
        "lines_created": 0, "created_at": opened, "updated_at": opened,
    }


def _feedback(event: RequestReceived) -> dict:
    return {"plaza_id": event.plaza_id, "request_id": event.request_id, "unit": event.unit,
            "text": event.text, "received_at": event.occurred_at}


# --- lifecycle -------------------------------------------------------------------------


async def _load(tx: Tx, plaza_id: str, work_order_id: str):
    row = await store.get_work_order(tx.conn, plaza_id, work_order_id, lock=True)
    if row is None:
        raise _not_found(plaza_id, work_order_id)
    return row


def _not_found(plaza_id: str, work_order_id: str) -> NotFound:
    return NotFound(f"work order {work_order_id!r} not found in plaza {plaza_id!r}", field="id")


def _next_status(row, action: str) -> str:
    try:
        return domain.transition(row["status"], action)
    except domain.TransitionRefused as exc:
        raise Conflict(f"work order {row['id']}: {exc}", field="status") from exc


async def _move(tx: Tx, row, action: str, **values) -> dict:
    """Apply one lifecycle step and meet the deadlines it meets; returns the work order."""
    at = now()
    values = {"status": _next_status(row, action), "updated_at": at, **values}
    if action == "assign" and row["first_responded_at"] is None:
        values["first_responded_at"] = at
    await store.update_work_order(tx.conn, row["plaza_id"], row["id"], values)
    row = {**row, **values}
    await services_sla.meet(tx, row, action, at)
    return row


def _fields(row, cmd: Command) -> dict:
    return {**domain.event_fields(row, actor=cmd.actor, causation_id=cmd.id), "occurred_at": row["updated_at"]}


async def assign_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderAssign, cmd: Command) -> dict:
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "assign", assignee=body.assignee)
    await tx.emit(WorkOrderAssigned(**_fields(row, cmd), assignee=body.assignee))
    return row


async def start_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> dict:
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "start")
    await tx.emit(WorkOrderStarted(**_fields(row, cmd)))
    return row


async def resolve_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderResolve, cmd: Command) -> dict:
    """Materials from stock are taken in this same transaction: a refusal takes nothing."""
    current = await _load(tx, plaza_id, work_order_id)
    _next_status(current, "resolve")  # refuse before touching stock or pricing
    who = services_stock.Who(actor=cmd.actor, command_id=cmd.id, correlation_id=current["request_id"])
    materials = await services_stock.issue(tx, plaza_id, work_order_id, body.materials, who, now())
    try:
        domain.check_money(body.labour_fen, materials)
    except domain.MoneyRefused as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    lines = domain.price_job(work_order_id, current["lines_created"], body.labour_fen, materials) if body.paid else []
    row = await _move(
        tx, current, "resolve",
        paid=body.paid, labour_fen=body.labour_fen, note=body.note,
        materials=[{**msgspec.to_builtins(m), "sku": line.sku} for m, line in zip(materials, body.materials)],
        lines_created=current["lines_created"] + len(lines),
    )
    await store.add_charge_lines(tx.conn, [_line_row(plaza_id, work_order_id, line, row["updated_at"]) for line in lines])
    await tx.emit(
        WorkOrderResolved(
            **_fields(row, cmd), paid=body.paid, labour_fen=body.labour_fen, note=body.note,
            materials=[Material(name=m.name, quantity=m.quantity, unit_price_fen=m.unit_price_fen) for m in materials],
        )
    )
    return row


def _line_row(plaza_id: str, work_order_id: str, line: domain.PricedLine, at) -> dict:
    return {"plaza_id": plaza_id, "work_order_id": work_order_id, "created_at": at, **msgspec.to_builtins(line)}


async def close_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> dict:
    """Closing carries every charge line the job ever had: billing posts each line id once."""
    current = await _load(tx, plaza_id, work_order_id)
    at = now()
    row = await _move(tx, current, "close", closed_at=at, first_closed_at=current["first_closed_at"] or at)
    lines = (await store.charge_lines_of(tx.conn, plaza_id, [work_order_id]))[work_order_id]
    await tx.emit(WorkOrderClosed(**_fields(row, cmd), paid=bool(row["paid"]), charge_lines=[charge_line(line) for line in lines]))
    return row


def charge_line(row: dict) -> ChargeLine:
    return ChargeLine(
        line_id=row["line_id"], kind=row["kind"], description=row["description"],
        quantity=row["quantity"], unit_price_fen=row["unit_price_fen"], amount_fen=row["amount_fen"],
    )


async def cancel_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderCancel, cmd: Command) -> dict:
    """Called off with a reason; its running deadlines stop, so nothing escalates later."""
    try:
        reason = domain.check_reason(body.reason)
    except domain.ReasonMissing as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "cancel", cancel_reason=reason)
    await services_sla.void(tx, row)
    await tx.emit(WorkOrderCancelled(**_fields(row, cmd), reason=reason))
    return row


async def escalate_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: services_sla.EscalationCreate, cmd: Command) -> dict:
    row = await _load(tx, plaza_id, work_order_id)
    if not domain.can_escalate(row["status"]):
        raise Conflict(f"work order {work_order_id} is {row['status']}: there is nothing left to escalate", field="status")
    await services_sla.escalate_by_clerk(tx, row, body, cmd.actor, cmd.id, now())
    return row


async def sweep_deadlines(tx: Tx) -> int:
    """The periodic SLA sweep (every plaza): breached deadlines climb the ladder."""
    return await services_sla.sweep(tx, now())


# --- return visits ---------------------------------------------------------------------


async def record_return_visits(tx: Tx, events: list[VisitCompleted], *, escalate_after: int = 2) -> list[str]:
    """An unsatisfied return visit on a closed job reopens it (second dispatch, 二次派单);
    any other rating is recorded. Each visit counts once, whatever event id carries it, and
    each sees what the visits before it in the batch did. Returns what was done with each."""
    orders = await store.work_orders_by_id(tx.conn, {(e.plaza_id, e.work_order_id) for e in events}, lock=True)
    applied = await store.visits_applied(tx.conn, {(e.plaza_id, e.visit_id) for e in events})
    policies = await services_sla.policies_of(tx.conn, {e.plaza_id for e in events if e.rating == "unsatisfied"})
    writes, visits, changed, outcomes = _Writes(), [], set(), []
    for event in events:
        with log_context(event):
            key = (event.plaza_id, event.work_order_id)
            if key not in orders:
                raise _not_found(*key)
            if (event.plaza_id, event.visit_id) in applied:
                logger.info("visit_already_applied", visit_id=event.visit_id)
                outcomes.append("duplicate")
                continue
            applied.add((event.plaza_id, event.visit_id))
            at = now()
            outcome = _visit_outcome(orders[key], event)
            visits.append({"plaza_id": event.plaza_id, "visit_id": event.visit_id, "work_order_id": event.work_order_id,
                           "rating": event.rating, "outcome": outcome, "applied_at": at})
            outcomes.append(outcome)
            if outcome == "ignored":
                logger.warning("visit_ignored_work_order_not_closed", visit_id=event.visit_id, status=orders[key]["status"])
                continue
            if outcome == "rated":
                orders[key] = {**orders[key], "last_rating": event.rating, "updated_at": at}
            else:
                orders[key] = await _reopen(tx, writes, orders[key], event, policies[event.plaza_id], escalate_after, at)
            changed.add(key)
    await store.remember_visits(tx.conn, visits)
    await store.update_after_visits(tx.conn, [orders[key] for key in changed])
    await writes.flush(tx)
    return outcomes


def _visit_outcome(row, event: VisitCompleted) -> str:
    if event.rating != "unsatisfied":
        return "rated"
    return "reopened" if row["status"] == "closed" else "ignored"


async def _reopen(tx: Tx, writes: _Writes, row: dict, event: VisitCompleted, policy, escalate_after: int, at) -> dict:
    """Second dispatch: back to the same hands with a tighter resolve deadline."""
    row = {
        **row, "status": _next_status(row, "reopen"), "reopen_count": row["reopen_count"] + 1,
        "last_rating": event.rating, "closed_at": None, "updated_at": at,
    }
    deadline = services_sla.reopen_deadline(row, policy, at)
    writes.deadlines.append(deadline)
    common = {**domain.event_fields(row, actor=event.actor, causation_id=event.id), "occurred_at": at}
    reason = event.comment or "unsatisfied return visit"
    await tx.emit(WorkOrderReopened(**common, visit_id=event.visit_id, reason=reason, resolve_due_at=deadline["due_at"]))
    if domain.should_escalate_reopen(row["reopen_count"], escalate_after):
        await writes.escalate(
            tx, row, "manager", f"reopened {row['reopen_count']} times after unsatisfied return visits: {reason}",
            cause="reopened", actor=event.actor, causation_id=event.id, now=at,
        )
    logger.info("work_order_reopened", work_order_id=row["id"], reopen_count=row["reopen_count"])
    return row
