"""A work order as the HTTP API answers with it (its charge lines, deadlines and
escalations), and the caller of a command as the use cases take it: the routes of
work_orders and of the capabilities that act on work orders answer alike."""

from __future__ import annotations

import msgspec
from prometheus_client import Gauge

from libs.contracts import new_event_id
from libs.runtime.auth import Principal
from libs.runtime.http import iso
from services.dispatch.sla import domain as sla_rules
from services.dispatch.sla import services as sla
from services.dispatch.work_orders import domain
from services.dispatch.work_orders import services as work_orders
from services.dispatch.work_orders.domain import Command


class ChargeLineView(msgspec.Struct, kw_only=True):
    line_id: str
    kind: str
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class DeadlineView(msgspec.Struct, kw_only=True):
    name: str
    round: int
    due_at: str
    manager_at: str
    met_at: str | None
    state: str  # running, breached, met, met_late, void
    escalated: str | None


class EscalationView(msgspec.Struct, kw_only=True):
    level: str
    cause: str
    reason: str
    actor: str
    occurred_at: str
    # Added: whom it was raised to (the supervisor on duty, else the plaza's supervisors).
    to: list[str] = []
    on_duty: bool = False


class WorkOrderView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    request_id: str
    unit: str
    department: str
    status: str
    reopen_count: int
    assignee: str | None
    kind: str
    priority: str
    text: str
    major: bool
    paid: bool | None
    labour_fen: int
    materials: list[dict]
    note: str | None
    charge_lines: list[ChargeLineView]
    last_rating: str | None
    allowed_actions: list[str]
    created_at: str
    updated_at: str
    closed_at: str | None
    original_department: str
    category: str | None
    sla_class: str
    warranty: bool
    responsible_party: str | None
    cancel_reason: str | None
    first_responded_at: str | None
    respond_due_at: str | None
    on_site_due_at: str | None
    resolve_due_at: str | None
    next_due_at: str | None
    deadlines: list[DeadlineView]
    escalations: list[EscalationView] = []
    # The public area a job is about when it names no unit (``unit`` "").
    area: str | None = None


def _deadline(d: dict, now) -> DeadlineView:
    return DeadlineView(
        name=d["name"], round=d["round"], due_at=iso(d["due_at"]), manager_at=iso(d["manager_at"]),
        met_at=iso(d["met_at"]), state=sla_rules.deadline_state(d["due_at"], d["met_at"], d["voided"], now),
        escalated=d["escalated"],
    )


def view(wo: work_orders.WorkOrder, now) -> WorkOrderView:
    row, deadlines = wo.row, wo.deadlines
    due = sla_rules.current_due(deadlines)
    return WorkOrderView(
        id=row["id"], plaza_id=row["plaza_id"], request_id=row["request_id"], unit=row["unit"],
        department=row["department"], status=row["status"], reopen_count=row["reopen_count"],
        assignee=row["assignee"], kind=row["kind"], priority=row["priority"], text=row["text"],
        major=row["major"], paid=row["paid"], labour_fen=row["labour_fen"],
        materials=list(row["materials"] or []), note=row["note"],
        charge_lines=[msgspec.convert(line, ChargeLineView) for line in wo.charge_lines],
        last_rating=row["last_rating"], allowed_actions=domain.allowed_actions(row["status"]),
        created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]), closed_at=iso(row["closed_at"]),
        original_department=row["original_department"], category=row["category"], sla_class=row["sla_class"],
        warranty=row["warranty"], responsible_party=row["responsible_party"], cancel_reason=row["cancel_reason"],
        first_responded_at=iso(row["first_responded_at"]),
        respond_due_at=iso(due.get("respond")), on_site_due_at=iso(due.get("on_site")),
        resolve_due_at=iso(due.get("resolve")), next_due_at=iso(sla_rules.next_due(deadlines)),
        deadlines=[_deadline(d, now) for d in deadlines], area=row.get("area"),
        escalations=[EscalationView(
            level=e["level"], cause=e["cause"], reason=e["reason"], actor=e["actor"], occurred_at=iso(e["occurred_at"]),
            to=list(e.get("to_usernames") or []), on_duty=bool(e.get("on_duty")),
        ) for e in wo.escalations],
    )


def views(orders: list[work_orders.WorkOrder]) -> list[WorkOrderView]:
    now = sla.now()
    return [view(wo, now) for wo in orders]


def department_of(principal: Principal | None, plaza: str) -> str | None:
    """Department staff (``staff`` their only role at the plaza) see and act on their own
    department's work orders only."""
    return principal.department_only(plaza) if principal is not None else None


def command(actor: str, command_id: str | None, principal: Principal | None, plaza: str) -> Command:
    return Command(actor=actor, id=command_id or new_event_id(), department=department_of(principal, plaza))


WORK_ORDERS = Gauge("plazadesk_work_orders", "Work orders by plaza, department and status",
                    ["plaza", "department", "status"])


async def gauge_work_orders(conn) -> None:
    """Sets ``plazadesk_work_orders`` at a scrape of /metrics (a status no longer held drops to 0)."""
    seen = set()
    for plaza, department, status, n in await work_orders.store.counts_by_status(conn):
        WORK_ORDERS.labels(plaza, department, status).set(n)
        seen.add((plaza, department, status))
    for labels in [tuple(s.labels.values()) for s in next(iter(WORK_ORDERS.collect())).samples]:
        if labels not in seen:
            WORK_ORDERS.labels(*labels).set(0)
