"""Correction use cases, each one transaction with its events in the outbox: a job sent to
another department (re-routing, by the desk or by a reclassification), and the desk's
reclassification of a request followed onto its work order."""

from __future__ import annotations

import datetime as dt

from libs.contracts.events import RequestReclassified, WorkOrderRerouted
from libs.runtime import logging as log
from libs.runtime.bus import log_context
from libs.runtime.errors import Conflict, InvalidInput, NotFound, UnknownFact
from libs.runtime.uow import Tx
from services.dispatch.corrections import domain
from services.dispatch.corrections.domain import WorkOrderReroute
from services.dispatch.feedback import services as feedback
from services.dispatch.routing import domain as routing_rules
from services.dispatch.routing import services as routing
from services.dispatch.sla import services as sla
from services.dispatch.work_orders import domain as work_order_rules
from services.dispatch.work_orders import services as work_orders
from services.dispatch.work_orders import store
from services.dispatch.work_orders.domain import Command, WorkOrderCancel

logger = log.get("dispatch")


async def reroute_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderReroute, cmd: Command) -> work_orders.WorkOrder:
    """The job leaves its department's queue for another's, with a reason."""
    row = await store.get_work_order(tx.conn, plaza_id, work_order_id, lock=True)
    if row is None or cmd.department not in (None, row["department"]):
        raise NotFound(f"work order {work_order_id!r} not found in plaza {plaza_id!r}", field="id")
    reason = body.reason.strip()
    if not reason:
        raise InvalidInput("reason must say why", field="reason")
    try:
        row = await _reroute(tx, row, body.department, reason, actor=cmd.actor, causation_id=cmd.id, at=sla.now())
    except domain.RerouteRefused as exc:
        raise (Conflict if exc.conflict else InvalidInput)(str(exc), field=exc.field) from exc
    return await work_orders.show_work_order(tx.conn, plaza_id, work_order_id)


async def _reroute(tx: Tx, row: dict, department: str, reason: str, *, actor: str, causation_id: str | None, at: dt.datetime) -> dict:
    values = domain.rerouted(row, department, at)
    await store.update_work_order(tx.conn, row["plaza_id"], row["id"], values)
    moved = {**row, **values}
    await tx.emit(WorkOrderRerouted(
        **work_order_rules.event_fields(moved, actor=actor, causation_id=causation_id), occurred_at=at,
        from_department=row["department"], reason=reason,
    ))
    logger.info("work_order_rerouted", work_order_id=row["id"], from_department=row["department"], department=department)
    return moved


async def apply_reclassifications(tx: Tx, events: list[RequestReclassified]) -> list[str]:
    """Each correction, in order, onto the request's work order: opened, re-flagged (a
    turn to major goes to the manager at once; another department re-routes it) or called
    off; the request is refiled under praise or suggestions as its kind now says. Applying
    one twice changes nothing more. Returns what was done with each."""
    return [await _apply(tx, event) for event in events]


async def _apply(tx: Tx, event: RequestReclassified) -> str:
    with log_context(event):
        row = await store.work_order_of_request(tx.conn, event.plaza_id, event.request_id, lock=True)
        held = None if row is not None else await feedback.held_request(tx.conn, event.plaza_id, event.request_id)
        if row is None and held is None:
            # Its RequestReceived is on another consumer and may not be applied yet: wait for it.
            raise UnknownFact(f"request {event.request_id!r} of plaza {event.plaza_id!r} is not received yet")
        at = sla.now()
        await feedback.refile(tx, row or held, event.kind, event.department, at)
        found = domain.correction(row, kind=event.kind, serviceable=event.serviceable, major=event.major, department=event.department)
        logger.info("request_reclassified", request_id=event.request_id, kind=event.kind, outcome=found.action)
        if found.action == "open":
            await _open(tx, event, held, at)
        elif found.action == "cancel":
            reason = domain.cancel_reason(event.kind, event.serviceable, event.referral, event.reason)
            await work_orders.cancel_work_order(tx, event.plaza_id, row["id"], WorkOrderCancel(reason=reason), _cause(event))
        elif found.action == "reflag":
            await _reflag(tx, event, row, found, at)
        return found.action


async def _open(tx: Tx, event: RequestReclassified, held: dict, at: dt.datetime) -> None:
    rules = (await routing.rules_of(tx.conn, {event.plaza_id}))[event.plaza_id]
    department = routing_rules.department_for(
        held["text"], event.kind, rules, proposed=event.department, chosen=event.department is not None)
    row = work_order_rules.new_work_order(
        event.plaza_id, event.request_id, held["unit"], department, event.kind, held["text"], at,
        priority=routing_rules.priority_of(held["text"]), major=event.major, area=event.area or held["area"],
    )
    await work_orders.open_new(tx, [(event, row)])


async def _reflag(tx: Tx, event: RequestReclassified, row: dict, found: domain.Correction, at: dt.datetime) -> None:
    if found.values:
        row = {**row, **found.values, "updated_at": at}
        await store.update_work_order(tx.conn, row["plaza_id"], row["id"], {**found.values, "updated_at": at})
    if found.escalate:
        record = await work_orders.escalate(
            tx, row, "manager", "major complaint", cause="major", actor=event.actor, causation_id=event.id, now=at)
        await store.add_escalations(tx.conn, [record])
    if found.reroute_to is not None and routing_rules.is_department(found.reroute_to):
        await _reroute(tx, row, found.reroute_to, event.reason, actor=event.actor, causation_id=event.id, at=at)


def _cause(event: RequestReclassified) -> Command:
    return Command(actor=event.actor, id=event.id)
