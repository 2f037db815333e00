"""Work-order use cases, one function and one transaction each, events to the outbox: opening a job with its
SLA deadlines, the lifecycle (assign, start, resolve, close, cancel), escalations (clerk, SLA sweep), the second
dispatch (二次派单) after an unsatisfied visit. SLA rules from sla.domain and sla.store, the time from sla.now()
(tests control it); each command returns the work order as the response shows it (``WorkOrder``)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import msgspec

from libs.contracts.events import (
    HandoverInspected, Material, RequestReceived, VisitCompleted, WorkOrderAssigned, WorkOrderCancelled,
    WorkOrderClosed, WorkOrderCreated, WorkOrderEscalated, WorkOrderReopened, WorkOrderResolved, WorkOrderStarted,
)
from libs.runtime import logging as log
from libs.runtime.bus import log_context
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.dispatch import facts
from services.dispatch.feedback import services as feedback
from services.dispatch.routing import domain as routing_rules
from services.dispatch.roster import services as roster
from services.dispatch.routing import services as routing
from services.dispatch.sla import domain as sla_rules
from services.dispatch.sla import services as sla
from services.dispatch.sla import store as sla_store
from services.dispatch.stock import services as stock
from services.dispatch.work_orders import domain, store
from services.dispatch.work_orders.domain import Command, EscalationCreate, WorkOrderAssign, WorkOrderCancel, WorkOrderResolve

logger = log.get("dispatch")

SWEEP_ACTOR = "sla-sweep"


class WorkOrder(NamedTuple):
    """A work order with everything its page shows."""

    row: dict
    charge_lines: list[dict]
    deadlines: list[dict]
    escalations: list[dict]


# --- opening: a job, its deadlines, a major complaint to the manager -------------------


async def open_work_orders(tx: Tx, events: list[RequestReceived]) -> list[str]:
    """Each serviceable service request or complaint becomes one work order, however often
    its RequestReceived arrives (in one batch or many); returns the new work orders' ids.
    Praise and suggestions are recorded for the reports instead."""
    await feedback.record_feedback(tx, events)
    jobs = [e for e in events if e.kind not in domain.FEEDBACK_KINDS]
    rules = await routing.rules_of(tx.conn, {e.plaza_id for e in jobs})
    opened = sla.now()  # one transaction, one instant: the batch's jobs share their deadlines
    openings = []
    for event in jobs:
        if not domain.is_dispatched(event.kind, event.serviceable):
            with log_context(event):
                logger.info("request_not_dispatched", request_id=event.request_id, kind=event.kind)
            continue
        department = routing_rules.department_for(
            event.text, event.kind, rules[event.plaza_id], proposed=event.department, chosen=event.department_chosen)
        openings.append((event, domain.new_work_order(
            event.plaza_id, event.request_id, event.unit, department, event.kind, event.text, opened,
            priority=routing_rules.priority_of(event.text), major=event.major, area=event.area,
            catalogue=event.catalogue_item,
        )))
    return await open_new(tx, openings)


async def open_warranty_work_orders(tx: Tx, events: list[HandoverInspected]) -> list[str]:
    """Each handover defect (工程遗留问题) becomes a warranty work order for its department;
    the defect id is the request id, so a redelivered inspection opens nothing twice."""
    opened = sla.now()
    openings = [
        (event, domain.new_work_order(
            event.plaza_id, defect.defect_id, event.unit, _department_of(event, defect.department), "service",
            defect.description, opened, priority="normal", warranty=True, responsible_party=defect.responsible_party,
        ))
        for event in events
        for defect in event.defects
    ]
    return await open_new(tx, openings)


async def open_new(tx: Tx, openings: list[tuple[RequestReceived | HandoverInspected, dict]]) -> list[str]:
    """The work orders not open yet, with their SLA deadlines and WorkOrderCreated; a major
    complaint goes to the manager at once. One per plaza and request: the first copy in the
    batch wins, a request already open is skipped. Returns the new ids in order. Each
    opening's cause gives the actor, the causation and the log context."""
    first: dict[tuple[str, str], dict] = {}
    for _, row in openings:
        first.setdefault((row["plaza_id"], row["request_id"]), row)
    inserted = await store.add_work_orders(tx.conn, list(first.values()))
    policies = await sla.policies_of(tx.conn, {plaza_id for plaza_id, _ in inserted})
    deadlines, escalations, new_ids, deadlines_of_class = [], [], [], {}
    for cause, row in openings:
        key = (row["plaza_id"], row["request_id"])
        with log_context(cause):
            if first[key] is not row or key not in inserted:
                logger.debug("work_order_already_open", request_id=row["request_id"])
                continue
            # A batch's jobs open at one instant, so a plaza's class of job has one set of deadlines.
            class_key = (row["plaza_id"], row["sla_class"], row["created_at"])
            if class_key not in deadlines_of_class:
                deadlines_of_class[class_key] = sla_rules.deadlines_for(row["sla_class"], row["created_at"], policies[row["plaza_id"]])
            given = domain.deadline_rows(row, deadlines_of_class[class_key])
            deadlines += given
            await tx.emit(_created(row, cause, {d["name"]: d["due_at"] for d in given}))
            logger.debug("work_order_created", work_order_id=row["id"], department=row["department"])
            if row["major"]:
                escalations.append(await escalate(
                    tx, row, "manager", "major complaint", cause="major", actor=cause.actor, causation_id=cause.id,
                    now=row["created_at"],
                ))
            new_ids.append(row["id"])
    await sla_store.add_deadlines(tx.conn, deadlines)
    await store.add_escalations(tx.conn, escalations)
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
        catalogue_item=domain.catalogue_order(row),
    )


def _department_of(event: HandoverInspected, department: str) -> str:
    if routing_rules.is_department(department):
        return department
    with log_context(event):
        logger.warning("defect_department_not_a_token", department=department)
    return "engineering"


# --- lifecycle: each step meets the deadlines it meets --------------------------------


async def assign_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderAssign, cmd: Command) -> WorkOrder:
    """Only to active staff of the job's department at its plaza (dispatch's copy of staff), on shift if it has a roster now."""
    if refused := domain.assign_refused(body):
        raise InvalidInput(refused, field="department")
    row, person = await _load(tx, plaza_id, work_order_id, cmd), await facts.staff_member(tx.conn, plaza_id, body.assignee)
    if refused := domain.assignee_refused(body.assignee, plaza_id, row["department"], person):
        raise InvalidInput(refused, field="assignee")
    at = sla.now()
    if refused := await roster.off_shift_refused(tx.conn, plaza_id, row["department"], body.assignee, at):
        raise InvalidInput(refused, field="assignee")
    row = await _step(tx, row, "assign", at, assignee=body.assignee, first_responded_at=row["first_responded_at"] or at)
    await tx.emit(WorkOrderAssigned(**_fields(row, cmd), assignee=body.assignee, assignee_name=person["name"]))
    return await _shown(tx.conn, row)


async def start_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> WorkOrder:
    row = await _step(tx, await _load(tx, plaza_id, work_order_id, cmd), "start", sla.now())
    await tx.emit(WorkOrderStarted(**_fields(row, cmd)))
    return await _shown(tx.conn, row)


async def resolve_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderResolve, cmd: Command) -> WorkOrder:
    """Materials from stock are taken in this same transaction: a refusal takes nothing."""
    row = await _load(tx, plaza_id, work_order_id, cmd)
    _next_status(row, "resolve")  # refuse before touching stock or pricing
    at = sla.now()
    who = stock.Who(actor=cmd.actor, command_id=cmd.id, correlation_id=row["request_id"])
    materials = await stock.issue(tx, plaza_id, work_order_id, body.materials, who, at)
    billed = row.get("catalogue_item") and await store.has_catalogue_line(tx.conn, plaza_id, work_order_id)
    try:
        lines = domain.lines_of_resolution(row, body, materials, catalogue_billed=bool(billed))
    except domain.MoneyRefused as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    paid = body.paid or bool(row.get("catalogue_item"))
    row = await _step(
        tx, row, "resolve", at, paid=paid, labour_fen=body.labour_fen, note=body.note,
        materials=[{**msgspec.to_builtins(m), "sku": line.sku} for m, line in zip(materials, body.materials)],
        lines_created=row["lines_created"] + len(lines),
    )
    await store.add_charge_lines(tx.conn, [
        {"plaza_id": plaza_id, "work_order_id": work_order_id, "created_at": at, **msgspec.to_builtins(line)} for line in lines
    ])
    await tx.emit(WorkOrderResolved(
        **_fields(row, cmd), paid=body.paid, labour_fen=body.labour_fen, note=body.note,
        materials=[Material(name=m.name, quantity=m.quantity, unit_price_fen=m.unit_price_fen) for m in materials],
    ))
    return await _shown(tx.conn, row)


async def close_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> WorkOrder:
    """Closing carries every charge line the job ever had: billing posts each line id once."""
    row = await _load(tx, plaza_id, work_order_id, cmd)
    at = sla.now()
    row = await _step(tx, row, "close", at, closed_at=at, first_closed_at=row["first_closed_at"] or at)
    lines = (await store.charge_lines_of(tx.conn, plaza_id, [work_order_id]))[work_order_id]
    await tx.emit(WorkOrderClosed(**_fields(row, cmd), paid=bool(row["paid"]), charge_lines=[domain.charge_line(line) for line in lines]))
    return await _shown(tx.conn, row, lines)


async def cancel_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderCancel, cmd: Command) -> WorkOrder:
    """Called off with a reason; its running deadlines stop, so nothing escalates later."""
    reason = _reason(body.reason)
    row = await _step(tx, await _load(tx, plaza_id, work_order_id, cmd), "cancel", sla.now(), cancel_reason=reason)
    await sla_store.void_open_deadlines(tx.conn, plaza_id, work_order_id)
    await tx.emit(WorkOrderCancelled(**_fields(row, cmd), reason=reason))
    return await _shown(tx.conn, row)


async def _load(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command | None = None) -> dict:
    row = await store.get_work_order(tx.conn, plaza_id, work_order_id, lock=True)
    if row is None or cmd is not None and cmd.department not in (None, row["department"]):
        raise _not_found(plaza_id, work_order_id)
    return row


async def _step(tx: Tx, row: dict, action: str, at: dt.datetime, **values) -> dict:
    """One lifecycle step stored, and the deadlines it meets marked met; returns the job."""
    values = {"status": _next_status(row, action), "updated_at": at, **values}
    await store.update_work_order(tx.conn, row["plaza_id"], row["id"], values)
    met = sla_rules.deadlines_met_by(action, row["sla_class"])
    await sla_store.meet_deadlines(tx.conn, row["plaza_id"], row["id"], met, at)
    return {**row, **values}


def _next_status(row: dict, action: str) -> str:
    try:
        return domain.transition(row["status"], action)
    except domain.TransitionRefused as exc:
        raise Conflict(f"work order {row['id']}: {exc}", field="status") from exc


def _fields(row: dict, cmd: Command) -> dict:
    return {**domain.event_fields(row, actor=cmd.actor, causation_id=cmd.id), "occurred_at": row["updated_at"]}


def _reason(reason: str) -> str:
    try:
        return domain.check_reason(reason)
    except domain.ReasonMissing as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc


def _not_found(plaza_id: str, work_order_id: str) -> NotFound:
    return NotFound(f"work order {work_order_id!r} not found in plaza {plaza_id!r}", field="id")


# --- escalations: by a clerk, by the SLA sweep -----------------------------------------


async def escalate_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: EscalationCreate, cmd: Command) -> WorkOrder:
    """Exceeding authority (超出权限): the clerk hands the decision up the ladder."""
    row = await _load(tx, plaza_id, work_order_id, cmd)
    if not domain.can_escalate(row["status"]):
        raise Conflict(f"work order {work_order_id} is {row['status']}: there is nothing left to escalate", field="status")
    record = await escalate(
        tx, row, body.level, f"exceeding authority (超出权限): {_reason(body.reason)}", cause="authority",
        actor=cmd.actor, causation_id=cmd.id, now=sla.now(),
    )
    await store.add_escalations(tx.conn, [record])
    return await _shown(tx.conn, row)


async def sweep_deadlines(tx: Tx) -> int:
    """The periodic SLA sweep, every plaza: each breached deadline climbs the ladder (the
    supervisor, then the manager after the grace period). Returns the escalations raised.
    Idempotent: each rung of each deadline is recorded as climbed."""
    now, raised = sla.now(), 0
    for deadline in await sla_store.breached(tx.conn, now):
        steps = sla_rules.escalations_due(deadline["due_at"], deadline["manager_at"], deadline["escalated"], now)
        if not steps:
            continue
        row = await store.get_work_order(tx.conn, deadline["plaza_id"], deadline["work_order_id"])
        for level in steps:
            record = await escalate(
                tx, row, level, domain.breach_reason(deadline, level), cause=f"{deadline['name']}:{deadline['round']}",
                actor=SWEEP_ACTOR, causation_id=None, now=now, deadline=deadline["name"], due_at=deadline["due_at"],
            )
            await store.add_escalations(tx.conn, [record])
        await sla_store.mark_escalated(tx.conn, deadline, steps[-1])
        raised += len(steps)
    return raised


async def escalate(
    tx: Tx, row: dict, level: str, reason: str, *, cause: str, actor: str, causation_id: str | None,
    now: dt.datetime, deadline: str | None = None, due_at: dt.datetime | None = None,
) -> dict:
    """WorkOrderEscalated emitted, naming whom it is raised to (roster); returns the record to keep (a batch stores all at once)."""
    to, on_duty = await roster.escalation_target(tx.conn, row["plaza_id"], level, now)
    event = WorkOrderEscalated(
        **domain.event_fields(row, actor=actor, causation_id=causation_id), occurred_at=now,
        level=level, reason=reason, deadline=deadline, due_at=due_at, to=to, on_duty=on_duty,
    )
    await tx.emit(event)
    logger.info("work_order_escalated", work_order_id=row["id"], level=level, cause=cause, to=to, on_duty=on_duty)
    return {"plaza_id": row["plaza_id"], "event_id": event.id, "work_order_id": row["id"], "level": level,
            "cause": cause, "reason": reason, "actor": actor, "occurred_at": now, "to_usernames": to, "on_duty": on_duty}


# --- return visits: the second dispatch (二次派单) --------------------------------------


async def record_return_visits(tx: Tx, events: list[VisitCompleted], *, escalate_after: int = 2) -> list[str]:
    """An unsatisfied return visit on a closed job reopens it (second dispatch): back to the
    same hands with a tighter resolve deadline, and to the manager from ``escalate_after``
    reopens on. Any other rating is recorded. Each visit counts once, whatever event id
    carries it, and each sees what the visits before it in the batch did. Returns what was
    done with each: rated, reopened, ignored (the job is not closed) or duplicate."""
    orders = await store.work_orders_by_id(tx.conn, {(e.plaza_id, e.work_order_id) for e in events}, lock=True)
    applied = await store.visits_applied(tx.conn, {(e.plaza_id, e.visit_id) for e in events})
    policies = await sla.policies_of(tx.conn, {e.plaza_id for e in events if e.rating == "unsatisfied"})
    visits, changed, outcomes, deadlines, escalations = [], set(), [], [], []
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
            at, row = sla.now(), orders[key]
            outcome = domain.visit_outcome(row["status"], event.rating)
            visits.append({"plaza_id": event.plaza_id, "visit_id": event.visit_id, "work_order_id": event.work_order_id,
                           "rating": event.rating, "outcome": outcome, "applied_at": at})
            outcomes.append(outcome)
            if outcome == "ignored":
                logger.warning("visit_ignored_work_order_not_closed", visit_id=event.visit_id, status=row["status"])
                continue
            if outcome == "rated":
                orders[key] = {**row, "last_rating": event.rating, "updated_at": at}
            else:
                orders[key] = row = domain.reopened(row, event.rating, at)
                found = sla_rules.reopen_deadline(row["sla_class"], at, row["reopen_count"], policies[event.plaza_id])
                [deadline] = domain.deadline_rows(row, [found])
                deadlines.append(deadline)
                reason = event.comment or "unsatisfied return visit"
                common = {**domain.event_fields(row, actor=event.actor, causation_id=event.id), "occurred_at": at}
                await tx.emit(WorkOrderReopened(**common, visit_id=event.visit_id, reason=reason, resolve_due_at=deadline["due_at"]))
                if domain.should_escalate_reopen(row["reopen_count"], escalate_after):
                    escalations.append(await escalate(
                        tx, row, "manager", f"reopened {row['reopen_count']} times after unsatisfied return visits: {reason}",
                        cause="reopened", actor=event.actor, causation_id=event.id, now=at,
                    ))
                logger.info("work_order_reopened", work_order_id=row["id"], reopen_count=row["reopen_count"])
            changed.add(key)
    await store.remember_visits(tx.conn, visits)
    await store.update_after_visits(tx.conn, [orders[key] for key in changed])
    await sla_store.add_deadlines(tx.conn, deadlines)
    await store.add_escalations(tx.conn, escalations)
    return outcomes


# --- reading ---------------------------------------------------------------------------


async def _shown(conn, row: dict, lines: list[dict] | None = None) -> WorkOrder:
    """The job with its parts; after a command, read in the command's own transaction."""
    plaza_id, work_order_id = row["plaza_id"], row["id"]
    if lines is None:
        lines = (await store.charge_lines_of(conn, plaza_id, [work_order_id]))[work_order_id]
    deadlines = (await sla_store.deadlines_of(conn, plaza_id, [work_order_id]))[work_order_id]
    return WorkOrder(row, lines, deadlines, await store.escalations_of(conn, plaza_id, work_order_id))


async def show_work_order(conn, plaza_id: str, work_order_id: str) -> WorkOrder:
    row = await store.get_work_order(conn, plaza_id, work_order_id)
    if row is None:
        raise _not_found(plaza_id, work_order_id)
    return await _shown(conn, row)


async def with_deadlines(conn, plaza_id: str, rows: list[dict]) -> list[WorkOrder]:
    """A page of work orders with their charge lines and deadlines (two queries for the page;
    escalations are shown on a work order's own page only)."""
    ids = [r["id"] for r in rows]
    lines = await store.charge_lines_of(conn, plaza_id, ids)
    deadlines = await sla_store.deadlines_of(conn, plaza_id, ids)
    return [WorkOrder(r, lines[r["id"]], deadlines[r["id"]], []) for r in rows]


async def list_work_orders(conn, plaza_id: str, **filters) -> list[WorkOrder]:
    return await with_deadlines(conn, plaza_id, await store.list_work_orders(conn, plaza_id, **filters))


async def department_queue(conn, plaza_id: str, department: str) -> list[WorkOrder]:
    """The department's jobs still to be done (their order is the view's: the most pressing
    deadline first)."""
    return await with_deadlines(conn, plaza_id, await store.open_work_orders_of(conn, plaza_id, department))

