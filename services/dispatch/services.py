"""Dispatch use cases: each one function, one transaction, its events to the outbox."""

from __future__ import annotations

from typing import Annotated

import msgspec

from libs.contracts import new_event_id, utcnow, validate_token
from libs.contracts.events import (
    ChargeLine,
    Material,
    PlazaRegistered,
    RequestReceived,
    UnitRegistered,
    VisitCompleted,
    WorkOrderAssigned,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderReopened,
    WorkOrderResolved,
    WorkOrderStarted,
)
from libs.contracts.subjects import InvalidToken
from libs.runtime import logging as log
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.dispatch import domain, store

logger = log.get("dispatch")

NonNegativeFen = Annotated[int, msgspec.Meta(ge=0)]


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Who asked over HTTP, and the id of that command (the causation of what it emits)."""

    actor: str = "front-desk"
    id: str = msgspec.field(default_factory=new_event_id)


class WorkOrderAssign(msgspec.Struct, kw_only=True):
    assignee: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class MaterialLine(msgspec.Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    quantity: Annotated[int, msgspec.Meta(gt=0)]
    unit_price_fen: NonNegativeFen


class WorkOrderResolve(msgspec.Struct, kw_only=True):
    paid: bool
    labour_fen: NonNegativeFen = 0
    materials: list[MaterialLine] = []
    note: str | None = None


class RoutingRuleIn(msgspec.Struct, kw_only=True):
    keyword: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    department: str


class RoutingRulesUpdate(msgspec.Struct, kw_only=True):
    rules: list[RoutingRuleIn]


# --- archive's facts -------------------------------------------------------------------


async def record_plaza(tx: Tx, event: PlazaRegistered) -> None:
    await store.upsert_plaza(tx.conn, event.plaza_id, event.name)


async def record_unit(tx: Tx, event: UnitRegistered) -> None:
    await store.upsert_unit(
        tx.conn,
        event.plaza_id,
        event.unit,
        {"revision": event.revision, "occupant_name": event.occupant.name, "key_account": event.key_account},
    )


# --- routing rules ---------------------------------------------------------------------


async def plaza_rules(conn, plaza_id: str) -> list[domain.RoutingRule]:
    """The plaza's own table, or the defaults while it has none."""
    rows = await store.get_routing_rules(conn, plaza_id)
    return [domain.RoutingRule(keyword=r["keyword"], department=r["department"]) for r in rows] or domain.DEFAULT_RULES


async def replace_routing_rules(tx: Tx, plaza_id: str, body: RoutingRulesUpdate) -> None:
    """An empty list puts the plaza back on the default rules."""
    if not await store.plaza_exists(tx.conn, plaza_id):
        raise NotFound(f"plaza {plaza_id!r} is not registered (PUT /v1/plazas/{plaza_id} in archive)", field="plaza")
    for i, rule in enumerate(body.rules):
        try:
            validate_token(rule.department, "department")
        except InvalidToken as exc:
            raise InvalidInput(str(exc), field=f"rules[{i}].department") from exc
    rows = [{"keyword": r.keyword.lower(), "department": r.department} for r in body.rules]
    await store.replace_routing_rules(tx.conn, plaza_id, rows)


# --- opening ---------------------------------------------------------------------------


async def open_work_order(tx: Tx, event: RequestReceived) -> str | None:
    """A serviceable service request or complaint becomes one work order, however often
    its RequestReceived arrives; returns the new work order's id, or None."""
    if not domain.is_dispatched(event.kind, event.serviceable):
        logger.info("request_not_dispatched", request_id=event.request_id, kind=event.kind)
        return None
    department = domain.route(event.text, event.kind, await plaza_rules(tx.conn, event.plaza_id))
    row = _new_work_order(event, department)
    if not await store.add_work_order(tx.conn, row):
        logger.info("work_order_already_open", request_id=event.request_id)
        return None
    common = _envelope(row, actor=event.actor, causation_id=event.id)
    await tx.emit(
        WorkOrderCreated(
            **common, kind=row["kind"], text=row["text"], priority=row["priority"], major=row["major"]
        )
    )
    if event.major:
        await tx.emit(WorkOrderEscalated(**common, level="manager", reason="major complaint"))
    logger.info("work_order_created", work_order_id=row["id"], department=department)
    return row["id"]


def _new_work_order(event: RequestReceived, department: str) -> dict:
    now = utcnow()
    return {
        "id": new_event_id(),
        "plaza_id": event.plaza_id,
        "request_id": event.request_id,
        "unit": event.unit,
        "department": department,
        "kind": event.kind,
        "priority": domain.priority_of(event.text),
        "text": event.text,
        "major": event.major,
        "status": "created",
        "assignee": None,
        "reopen_count": 0,
        "labour_fen": 0,
        "materials": [],
        "lines_created": 0,
        "created_at": now,
        "updated_at": now,
    }


def _envelope(row, *, actor: str, causation_id: str | None, **overrides) -> dict:
    """The fields every work-order event carries, traced to the originating request."""
    fields = {
        "plaza_id": row["plaza_id"],
        "correlation_id": row["request_id"],
        "causation_id": causation_id,
        "actor": actor,
        "work_order_id": row["id"],
        "request_id": row["request_id"],
        "unit": row["unit"],
        "department": row["department"],
        "reopen_count": row["reopen_count"],
    }
    fields.update(overrides)
    return fields


# --- lifecycle -------------------------------------------------------------------------


async def _load(tx: Tx, plaza_id: str, work_order_id: str):
    row = await store.get_work_order(tx.conn, plaza_id, work_order_id, lock=True)
    if row is None:
        raise NotFound(f"work order {work_order_id!r} not found in plaza {plaza_id!r}", field="id")
    return row


def _next_status(row, action: str) -> str:
    try:
        return domain.transition(row["status"], action)
    except domain.TransitionRefused as exc:
        raise Conflict(f"work order {row['id']}: {exc}", field="status") from exc


async def _move(tx: Tx, row, action: str, **values) -> dict:
    """Apply one lifecycle step; returns the work order as it now is."""
    values = {"status": _next_status(row, action), "updated_at": utcnow(), **values}
    await store.update_work_order(tx.conn, row["plaza_id"], row["id"], values)
    return {**row, **values}


async def assign_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderAssign, cmd: Command) -> dict:
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "assign", assignee=body.assignee)
    await tx.emit(WorkOrderAssigned(**_envelope(row, actor=cmd.actor, causation_id=cmd.id), assignee=body.assignee))
    return row


async def start_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> dict:
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "start")
    await tx.emit(WorkOrderStarted(**_envelope(row, actor=cmd.actor, causation_id=cmd.id)))
    return row


async def resolve_work_order(tx: Tx, plaza_id: str, work_order_id: str, body: WorkOrderResolve, cmd: Command) -> dict:
    materials = [domain.MaterialUse(name=m.name, quantity=m.quantity, unit_price_fen=m.unit_price_fen) for m in body.materials]
    try:
        domain.check_money(body.labour_fen, materials)
    except domain.MoneyRefused as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    current = await _load(tx, plaza_id, work_order_id)
    _next_status(current, "resolve")  # refuse before pricing a job that cannot be resolved
    lines = domain.price_job(work_order_id, current["lines_created"], body.labour_fen, materials) if body.paid else []
    row = await _move(
        tx, current, "resolve",
        paid=body.paid, labour_fen=body.labour_fen, note=body.note,
        materials=[msgspec.to_builtins(m) for m in materials],
        lines_created=current["lines_created"] + len(lines),
    )
    await store.add_charge_lines(tx.conn, [_line_row(plaza_id, work_order_id, line, row["updated_at"]) for line in lines])
    await tx.emit(
        WorkOrderResolved(
            **_envelope(row, actor=cmd.actor, causation_id=cmd.id),
            paid=body.paid, labour_fen=body.labour_fen, note=body.note,
            materials=[Material(name=m.name, quantity=m.quantity, unit_price_fen=m.unit_price_fen) for m in materials],
        )
    )
    return row


def _line_row(plaza_id: str, work_order_id: str, line: domain.PricedLine, now) -> dict:
    return {"plaza_id": plaza_id, "work_order_id": work_order_id, "created_at": now, **msgspec.to_builtins(line)}


async def close_work_order(tx: Tx, plaza_id: str, work_order_id: str, cmd: Command) -> dict:
    """Closing carries every charge line the job ever had: billing posts each line id once."""
    now = utcnow()
    row = await _move(tx, await _load(tx, plaza_id, work_order_id), "close", closed_at=now)
    lines = (await store.charge_lines_of(tx.conn, plaza_id, [work_order_id]))[work_order_id]
    await tx.emit(
        WorkOrderClosed(
            **_envelope(row, actor=cmd.actor, causation_id=cmd.id),
            paid=bool(row["paid"]), charge_lines=[charge_line(line) for line in lines],
        )
    )
    return row


def charge_line(row: dict) -> ChargeLine:
    return ChargeLine(
        line_id=row["line_id"], kind=row["kind"], description=row["description"],
        quantity=row["quantity"], unit_price_fen=row["unit_price_fen"], amount_fen=row["amount_fen"],
    )


# --- return visits ---------------------------------------------------------------------


async def record_return_visit(tx: Tx, event: VisitCompleted, *, escalate_after: int = 2) -> str:
    """An unsatisfied return visit on a closed job reopens it (second dispatch, 二次派单);
    any other rating is recorded. Each visit counts once. Returns what was done."""
    row = await _load(tx, event.plaza_id, event.work_order_id)
    outcome = _visit_outcome(row, event)
    first = await store.remember_visit(
        tx.conn,
        {
            "plaza_id": event.plaza_id, "visit_id": event.visit_id, "work_order_id": event.work_order_id,
            "rating": event.rating, "outcome": outcome, "applied_at": utcnow(),
        },
    )
    if not first:
        logger.info("visit_already_applied", visit_id=event.visit_id)
        return "duplicate"
    if outcome == "ignored":
        logger.warning("visit_ignored_work_order_not_closed", visit_id=event.visit_id, status=row["status"])
    elif outcome == "rated":
        await store.update_work_order(
            tx.conn, event.plaza_id, row["id"], {"last_rating": event.rating, "updated_at": utcnow()}
        )
    else:
        await _reopen(tx, row, event, escalate_after)
    return outcome


def _visit_outcome(row, event: VisitCompleted) -> str:
    if event.rating != "unsatisfied":
        return "rated"
    return "reopened" if row["status"] == "closed" else "ignored"


async def _reopen(tx: Tx, row, event: VisitCompleted, escalate_after: int) -> None:
    values = {
        "status": _next_status(row, "reopen"),
        "reopen_count": row["reopen_count"] + 1,
        "last_rating": event.rating,
        "closed_at": None,
        "updated_at": utcnow(),
    }
    await store.update_work_order(tx.conn, row["plaza_id"], row["id"], values)
    row = {**row, **values}
    common = _envelope(row, actor=event.actor, causation_id=event.id)
    reason = event.comment or "unsatisfied return visit"
    await tx.emit(WorkOrderReopened(**common, visit_id=event.visit_id, reason=reason))
    if domain.should_escalate_reopen(row["reopen_count"], escalate_after):
        await tx.emit(
            WorkOrderEscalated(
                **common, level="manager",
                reason=f"reopened {row['reopen_count']} times after unsatisfied return visits: {reason}",
            )
        )
    logger.info("work_order_reopened", work_order_id=row["id"], reopen_count=row["reopen_count"])
