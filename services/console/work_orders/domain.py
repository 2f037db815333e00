"""The work-order queue as the desk reads it: how pressing a job is (its SLA colour), the
order of the queue, which actions a job's status and the person's roles allow, and the
bodies of the forms (yuan typed, fen sent). Pure rules over dispatch's work orders as
JSON; no I/O."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.contracts.access import PERMISSIONS
from services.console.gateway.domain import FormRefused
from services.console.i18n.domain import N_, instant

OPEN_STATUSES = ("created", "assigned", "in_progress", "resolved")
STATUSES = (*OPEN_STATUSES, "closed", "cancelled")
STATUS_NAMES = {
    "open": N_("Open"), "created": N_("Created"), "assigned": N_("Assigned"), "in_progress": N_("In progress"),
    "resolved": N_("Resolved"), "closed": N_("Closed"), "cancelled": N_("Cancelled"),
}
# The plaza's departments in the default routing; a plaza's own rules may name more, which
# the queue then shows under their code.
DEPARTMENTS = ("engineering", "security", "cleaning", "customer_service")
DEPARTMENT_NAMES = {
    "engineering": N_("Engineering"), "security": N_("Security"), "cleaning": N_("Cleaning"),
    "customer_service": N_("Customer service"),
}
PRIORITY_NAMES = {"emergency": N_("Emergency"), "urgent": N_("Urgent"), "normal": N_("Normal")}
KIND_NAMES = {"service": N_("Service"), "complaint": N_("Complaint")}
DEADLINE_NAMES = {"respond": N_("Respond by"), "on_site": N_("On site by"), "resolve": N_("Resolve by")}
DEADLINE_STATES = {
    "running": N_("Running"), "breached": N_("Breached"), "met": N_("Met"), "met_late": N_("Met late"),
    "void": N_("Void"),
}
LEVEL_NAMES = {"supervisor": N_("Supervisor"), "manager": N_("Manager")}
SLA_NAMES = {"ok": N_("On time"), "due": N_("Due soon"), "breached": N_("Overdue")}
DEADLINE_FILTERS = {"": N_("Any deadline"), "due": N_("Due soon or overdue"), "breached": N_("Overdue")}
ACTION_NAMES = {
    "assign": N_("Assign"), "start": N_("Start"), "resolve": N_("Resolve"), "close": N_("Close"),
    "cancel": N_("Cancel"), "escalate": N_("Escalate"), "reroute": N_("Send to another department"),
    "reclassify": N_("Correct the request"),
}
ACTIONS = tuple(ACTION_NAMES)
# The unit's record (archive) summarises each event in English; the page names it in the
# person's language and keeps the summary beside it.
TIMELINE_NAMES = {
    "RequestReceived": N_("Request received"), "RequestReclassified": N_("Request reclassified"),
    "WorkOrderCreated": N_("Work order opened"), "WorkOrderAssigned": N_("Assigned"),
    "WorkOrderStarted": N_("Started"), "WorkOrderResolved": N_("Resolved"), "WorkOrderClosed": N_("Closed"),
    "WorkOrderReopened": N_("Second dispatch"), "WorkOrderCancelled": N_("Cancelled"),
    "WorkOrderEscalated": N_("Escalated"), "WorkOrderRerouted": N_("Moved to another department"),
    "VisitScheduled": N_("Return visit scheduled"), "VisitCompleted": N_("Return visit made"),
    "VisitSkipped": N_("Return visit spared"),
}

# A job is "due soon" in the last quarter of its window, but never earlier than two hours
# before: a week-long job turning amber two days ahead would hide the ones due this hour.
DUE_SHARE = 0.25
DUE_AT_MOST = dt.timedelta(hours=2)

# The statuses each action starts from (dispatch's lifecycle; escalate: while still worked on).
_FROM = {
    "assign": ("created", "assigned", "in_progress"),
    "start": ("assigned",),
    "resolve": ("in_progress",),
    "close": ("resolved",),
    "cancel": OPEN_STATUSES,
    "escalate": OPEN_STATUSES,
    # Work not yet done may go to the department that can do it (dispatch refuses it once resolved).
    "reroute": ("created", "assigned", "in_progress"),
    # What intake made of the request may be corrected at any time: the reports count it anew.
    "reclassify": STATUSES,
}
# The kinds and complaint grades the desk may correct a request to (intake's words).
REQUEST_KINDS = {"service": N_("Service"), "complaint": N_("Complaint"), "suggestion": N_("Suggestion"),
                 "praise": N_("Praise")}
SEVERITIES = {"minor": N_("Minor"), "normal": N_("Normal"), "major": N_("Major complaint")}


def running_deadlines(order: dict) -> list[dict]:
    return [d for d in order.get("deadlines") or [] if d.get("state") in ("running", "breached")]


def nearest_due(order: dict) -> dt.datetime | None:
    dues = [instant(d["due_at"]) for d in running_deadlines(order)]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else instant(order.get("next_due_at"))


def sla_colour(order: dict, now: dt.datetime) -> str | None:
    """ok, due or breached by the job's nearest deadline still running; None when nothing
    is running (a closed job, or a resolved one waiting for its close)."""
    running = running_deadlines(order)
    due = nearest_due(order)
    if due is None or (not running and order.get("status") not in OPEN_STATUSES):
        return None
    if any(d.get("state") == "breached" for d in running) or due <= now:
        return "breached"
    opened = instant(order.get("created_at")) or now
    window = max(due - opened, dt.timedelta(0))
    return "due" if due - now <= min(window * DUE_SHARE, DUE_AT_MOST) else "ok"


def queue_order(orders: list[dict]) -> list[dict]:
    """One list from the pages of each status: each job once, the nearest deadline first;
    then the jobs with none running (waiting for a close, done, called off), the latest
    changed first."""
    seen: dict[str, dict] = {}
    for order in orders:
        seen.setdefault(order["id"], order)
    timed = [o for o in seen.values() if nearest_due(o) is not None]
    untimed = [o for o in seen.values() if nearest_due(o) is None]
    timed.sort(key=lambda o: (nearest_due(o), o.get("created_at") or ""))
    untimed.sort(key=lambda o: o.get("updated_at") or o.get("created_at") or "", reverse=True)
    return timed + untimed


ROWS_SHOWN = 300  # a page a clerk can scan; the filters narrow the rest


def shown(rows: list[dict], limit: int = ROWS_SHOWN) -> tuple[list[dict], int]:
    """The rows the page shows, and how many more the filters would have to narrow."""
    return rows[:limit], max(len(rows) - limit, 0)


def statuses_of(choice: str | None) -> tuple[str, ...]:
    """The statuses a filter choice means: the open ones by default."""
    return (choice,) if choice in STATUSES else OPEN_STATUSES


def keep(order: dict, deadline: str | None, now: dt.datetime) -> bool:
    colour = sla_colour(order, now)
    if deadline == "breached":
        return colour == "breached"
    if deadline == "due":
        return colour in ("due", "breached")
    return True


def queue_rows(orders: list[dict], deadline: str | None, now: dt.datetime) -> list[dict]:
    """The rows of the queue: ordered, filtered by deadline, each with its colour."""
    return [{**o, "sla": sla_colour(o, now), "minutes_left": minutes_left(o, now)}
            for o in queue_order(orders) if keep(o, deadline, now)]


def minutes_left(order: dict, now: dt.datetime) -> int | None:
    """Minutes to the nearest deadline (negative: overdue by that much)."""
    due = nearest_due(order)
    return None if due is None else int((due - now).total_seconds() // 60)


def departments_offered(department_only: str | None, seen: list[str] = ()) -> list[str]:
    """Department staff see their own department only; everyone else every department known."""
    if department_only:
        return [department_only]
    return list(DEPARTMENTS) + sorted(set(seen) - set(DEPARTMENTS))


def role_may(action: str, roles: frozenset[str] | set[str]) -> bool:
    """The access table's roles for the action's dispatch route (the service still decides)."""
    if action == "reclassify":  # intake's route: the request behind the job
        allowed = PERMISSIONS["intake"].get("POST /v1/plazas/{plaza}/requests/{request_id}/reclassify", frozenset())
    else:
        allowed = PERMISSIONS["dispatch"].get(f"POST /v1/plazas/{{plaza}}/work-orders/{{work_order_id}}/{action}", frozenset())
    return bool(set(roles) & allowed)


def on_shift_only(staff: list[dict] | None, offered: dict | None) -> list[dict] | None:
    """The department's people as the assign form offers them: while dispatch says the
    department's roster covers now (``offered["roster"]``), only those on shift, each with
    the time their shift ends; else as they are (no roster, or dispatch not telling)."""
    if staff is None or not offered or not offered.get("roster"):
        return staff
    ends = {i["username"]: i.get("shift_ends_at") for i in offered.get("items") or [] if i.get("on_shift")}
    return [{**p, "shift_ends_at": ends[p["username"]]} for p in staff if p.get("username") in ends]


def actions_for(status: str, roles: frozenset[str] | set[str]) -> list[str]:
    """The actions offered on a job: its status allows them and the person's role may."""
    return [a for a in ACTIONS if status in _FROM[a] and role_may(a, roles)]


def fen_of(yuan: str | None, field: str) -> int:
    """Yuan as typed (12, 12.5, ¥1,234.50) to integer fen; blank is nothing."""
    text = (yuan or "").replace("¥", "").replace(",", "").replace("，", "").strip()
    if not text:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise FormRefused(field, "an amount in yuan, e.g. 50 or 12.50") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise FormRefused(field, "an amount in yuan, not negative, at most two decimals")
    return int(amount * 100)


def material_lines(skus: list[str], quantities: list[str]) -> list[dict]:
    """Material lines chosen from stock: a line without an item is left out."""
    lines = []
    for n, (sku, quantity) in enumerate(zip(skus, quantities)):
        if not sku.strip():
            continue
        try:
            count = int(quantity.strip() or "1")
        except ValueError:
            raise FormRefused(f"quantity_{n}", "a whole number of items") from None
        if count <= 0:
            raise FormRefused(f"quantity_{n}", "at least one item")
        lines.append({"sku": sku.strip(), "quantity": count})
    return lines


def resolve_body(paid: str | None, labour_yuan: str | None, skus: list[str], quantities: list[str],
                 note: str | None) -> dict:
    """The resolve form as dispatch takes it: labour in fen, stock lines by sku."""
    body: dict[str, Any] = {"paid": paid in ("yes", "true", "on", "1"), "labour_fen": fen_of(labour_yuan, "labour_yuan"),
                            "materials": material_lines(skus, quantities)}
    if note and note.strip():
        body["note"] = note.strip()
    return body


def action_body(action: str, form: dict[str, Any]) -> dict | None:
    """The body of an action's form; None for the actions that take none."""
    if action == "assign":
        return {"assignee": str(form.get("assignee") or "").strip()}
    if action == "cancel":
        return {"reason": str(form.get("reason") or "").strip()}
    if action == "escalate":
        return {"reason": str(form.get("reason") or "").strip(), "level": str(form.get("level") or "supervisor")}
    if action == "reclassify":
        body = {"kind": str(form.get("kind") or ""), "reason": str(form.get("reason") or "").strip()}
        if body["kind"] == "complaint" and form.get("severity"):
            body["severity"] = str(form["severity"])
        return body
    if action == "reroute":
        return {"department": str(form.get("department") or "").strip(), "reason": str(form.get("reason") or "").strip()}
    if action == "resolve":
        return resolve_body(form.get("paid"), form.get("labour_yuan"), list(form.get("sku") or []),
                            list(form.get("quantity") or []), form.get("note"))
    return None


def own_history(order: dict) -> list[dict]:
    """What the work order itself tells of its past, oldest first: where there is no
    record of the unit to read (department staff), the job's own dates."""
    events = [{"at": order.get("created_at"), "label": N_("Work order opened")}]
    if order.get("first_responded_at"):
        events.append({"at": order["first_responded_at"], "label": N_("First assigned")})
    for d in order.get("deadlines") or []:
        if d.get("met_at"):
            events.append({"at": d["met_at"], "label": DEADLINE_NAMES.get(d["name"], d["name"]), "word": N_("Met")})
    for e in order.get("escalations") or []:
        events.append({"at": e["occurred_at"], "label": N_("Escalated"), "detail": e.get("reason")})
    if order.get("closed_at"):
        events.append({"at": order["closed_at"], "label": N_("Closed")})
    return sorted((e for e in events if e["at"]), key=lambda e: e["at"])


def recorded_history(items: list[dict], request_id: str) -> list[dict]:
    """The unit's record of this job: the entries of its request's correlation."""
    return [{"at": i["occurred_at"], "label": TIMELINE_NAMES.get(i["type"], i["type"]), "detail": i.get("summary")}
            for i in items if i.get("correlation_id") == request_id]
