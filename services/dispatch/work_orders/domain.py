"""Work-order rules: which requests become jobs, what a complaint is about, the lifecycle
and its second dispatch (二次派单), the deadlines and escalations kept on a job, and
pricing a paid job as charge lines.

Pure functions and small values; no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from libs.contracts import new_event_id
from libs.contracts.events import CatalogueOrder, ChargeLine
from libs.runtime import limits
from services.dispatch.sla.domain import Deadline, sla_class
from services.dispatch.stock.domain import MaterialUse

Status = Literal["created", "assigned", "in_progress", "resolved", "closed", "cancelled"]
Action = Literal["assign", "start", "resolve", "close", "reopen", "cancel"]

# --- commands: what a clerk asks over HTTP ----------------------------------------------


NonNegativeFen = limits.Fen


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Who asked over HTTP, and the id of that command (the causation of what it emits)."""

    actor: str = "front-desk"
    id: str = msgspec.field(default_factory=new_event_id)
    # Department staff act on their own department's work orders only (another's: not found).
    department: str | None = None


class WorkOrderAssign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee: limits.line(100, min_length=1)
    # Never taken: a job changes department by ``/reroute`` (with a reason, out of one queue
    # into another). Declared so that sending it is refused by name, not passed over.
    department: limits.line(100) | None = None


def assign_refused(body: WorkOrderAssign) -> str | None:
    if body.department is not None:
        return "assign does not change a department; POST …/work-orders/{id}/reroute {\"department\", \"reason\"} does"
    return None


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
    # A catalogue service priced on a quote (报价): the amount agreed. Billing prices the
    # other catalogue items from its own price list.
    quoted_fen: NonNegativeFen | None = None


class WorkOrderCancel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note


class EscalationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note
    level: Literal["supervisor", "manager"] = "supervisor"


# --- opening ---------------------------------------------------------------------------

# Only service requests and complaints become jobs; praise and suggestions are not work.
DISPATCHED_KINDS = ("service", "complaint")
FEEDBACK_KINDS = ("praise", "suggestion")


def is_dispatched(kind: str, serviceable: bool) -> bool:
    return serviceable and kind in DISPATCHED_KINDS


# Complaint categories, first match wins; the department says who answers, the category
# says what the complaint is about.
CATEGORY_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("staff_attitude", ("态度", "rude", "attitude", "打人", "骂")),
    ("noise", ("噪音", "noise", "loud")),
    ("parking", ("停车", "parking")),
    ("cleanliness", ("卫生", "垃圾", "dirty", "trash", "garbage", "smell", "异味")),
    ("fees", ("收费", "费用", "fee", "charge", "bill")),
    ("repairs", ("维修", "repair", "漏", "leak", "坏", "broken", "lift", "电梯")),
    ("security", ("保安", "security", "theft", "盗")),
]


def complaint_category(text: str) -> str:
    lowered = text.lower()
    for category, words in CATEGORY_KEYWORDS:
        if any(word in lowered for word in words):
            return category
    return "other"


def new_work_order(
    plaza_id: str, request_id: str, unit: str, department: str, kind: str, text: str, opened: dt.datetime, *,
    priority: str, major: bool = False, warranty: bool = False, responsible_party: str | None = None,
    area: str | None = None, catalogue: CatalogueOrder | None = None,
) -> dict:
    """A new job's row: its SLA class from its kind, priority and warranty; a complaint's category."""
    return {
        "id": new_event_id(), "plaza_id": plaza_id, "request_id": request_id, "unit": unit,
        "department": department, "original_department": department, "kind": kind,
        "category": complaint_category(text) if kind == "complaint" else None,
        "sla_class": sla_class(kind, priority, warranty), "warranty": warranty,
        "responsible_party": responsible_party, "priority": priority, "text": text, "major": major,
        "status": "created", "assignee": None, "reopen_count": 0, "labour_fen": 0, "materials": [],
        "lines_created": 0, "created_at": opened, "updated_at": opened, "area": area,
        "catalogue_item": catalogue.code if catalogue else None,
        "catalogue_quantity": catalogue.quantity if catalogue else None,
    }


# --- lifecycle -------------------------------------------------------------------------

# action → (statuses it may start from, status it leads to; None keeps the current one).
# A reassignment keeps an in-progress job in progress: the job is underway, only the hands change.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "assign": (("created", "assigned", "in_progress"), None),
    "start": (("assigned",), "in_progress"),
    "resolve": (("in_progress",), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("closed",), "assigned"),
    # A job nobody has finished can be called off; a closed one is history.
    "cancel": (("created", "assigned", "in_progress", "resolved"), "cancelled"),
}

OPEN_STATUSES = ("created", "assigned", "in_progress", "resolved")


class TransitionRefused(Exception):
    def __init__(self, status: str, action: str) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed_actions(status)
        super().__init__(
            f"cannot {action} a work order that is {status}; "
            f"allowed now: {', '.join(self.allowed) or 'nothing'}"
        )


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def transition(status: str, action: str) -> str:
    """The status after ``action``; refuses an action the current status does not allow."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionRefused(status, action)
    if action == "assign" and status == "created":
        return "assigned"
    return target or status


def assignee_refused(username: str, plaza_id: str, department: str, person: dict | None) -> str | None:
    """Why ``username`` may not take a job of ``department`` at the plaza, or None: an
    assignee is active staff of the job's plaza and department. ``person`` is the plaza's
    copy of them (``department``, ``active``), None for a person not at the plaza."""
    if person is None:
        return f"{username!r} is not staff of plaza {plaza_id!r}"
    if person["department"] != department:
        works = f"works in {person['department']}" if person["department"] else "works in no department"
        return f"{username!r} {works}, not {department}"
    if not person["active"]:
        return f"{username!r} is no longer active"
    return None


def can_escalate(status: str) -> bool:
    """A clerk may raise a job beyond their authority while it is still being worked on."""
    return status in OPEN_STATUSES


def check_reason(reason: str, field: str = "reason") -> str:
    if not reason.strip():
        raise ReasonMissing(field)
    return reason.strip()


class ReasonMissing(ValueError):
    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"{field} must say why")


def event_fields(row, *, actor: str, causation_id: str | None) -> dict:
    """The fields every work-order event carries, traced to the originating request."""
    return {
        "plaza_id": row["plaza_id"],
        "correlation_id": row["request_id"],
        "causation_id": causation_id,
        "actor": actor,
        "work_order_id": row["id"],
        "request_id": row["request_id"],
        "unit": row["unit"],
        "department": row["department"],
        "reopen_count": row["reopen_count"],
        "kind": row["kind"],
    }


def should_escalate_reopen(reopen_count: int, escalate_after: int) -> bool:
    """From the threshold on, each further failure of the same job goes to the manager."""
    return escalate_after > 0 and reopen_count >= escalate_after


def visit_outcome(status: str, rating: str) -> str:
    """What a return visit does to its job: only an unsatisfied one on a closed job reopens it."""
    if rating != "unsatisfied":
        return "rated"
    return "reopened" if status == "closed" else "ignored"


def reopened(row: dict, rating: str, at: dt.datetime) -> dict:
    """Second dispatch: back to the same hands (status assigned), one more reopen counted."""
    return {
        **row, "status": transition(row["status"], "reopen"), "reopen_count": row["reopen_count"] + 1,
        "last_rating": rating, "closed_at": None, "updated_at": at,
    }


# --- deadlines and escalations ---------------------------------------------------------


def deadline_rows(row, found: list[Deadline]) -> list[dict]:
    """A work order's deadlines as rows to store (a batch stores those of all its jobs at once)."""
    return [
        {"plaza_id": row["plaza_id"], "work_order_id": row["id"], "name": d.name, "round": d.round,
         "due_at": d.due_at, "manager_at": d.manager_at}
        for d in found
    ]


def breach_reason(deadline: dict, level: str) -> str:
    what = deadline["name"].replace("_", " ")
    due = deadline["due_at"].isoformat().replace("+00:00", "Z")
    if level == "supervisor":
        return f"{what} deadline {due} missed"
    return f"{what} deadline {due} missed and still open after the grace period"


# --- charges ---------------------------------------------------------------------------


class PricedLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    n: int
    kind: Literal["labour", "material"]
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    catalogue_item: str | None = None


class MoneyRefused(ValueError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


def check_money(labour_fen: int, materials: list[MaterialUse]) -> None:
    if labour_fen < 0:
        raise MoneyRefused("labour_fen", f"labour_fen must be 0 or more fen, not {labour_fen}")
    for i, m in enumerate(materials):
        if m.quantity <= 0:
            raise MoneyRefused(f"materials[{i}].quantity", f"quantity of {m.name!r} must be more than 0")
        if m.unit_price_fen < 0:
            raise MoneyRefused(f"materials[{i}].unit_price_fen", f"unit_price_fen of {m.name!r} must be 0 or more")


def charge_line(row: dict) -> ChargeLine:
    return ChargeLine(
        line_id=row["line_id"], kind=row["kind"], description=row["description"],
        quantity=row["quantity"], unit_price_fen=row["unit_price_fen"], amount_fen=row["amount_fen"],
        catalogue_item=row.get("catalogue_item"),
    )


def catalogue_order(row: dict) -> CatalogueOrder | None:
    code = row.get("catalogue_item")
    return CatalogueOrder(code=code, quantity=row.get("catalogue_quantity") or 1) if code else None


def lines_of_resolution(row: dict, body: WorkOrderResolve, materials: list[MaterialUse], *,
                        catalogue_billed: bool) -> list[PricedLine]:
    """A resolution's new charge lines: labour and materials of a paid job, and the ordered
    catalogue service once in the job's life (not again after a second dispatch)."""
    check_money(body.labour_fen, materials)
    if body.quoted_fen is not None and not row.get("catalogue_item"):
        raise MoneyRefused("quoted_fen", "quoted_fen: this job orders no catalogue service to quote for")
    work_order_id, so_far = row["id"], row["lines_created"]
    lines = price_job(work_order_id, so_far, body.labour_fen, materials) if body.paid else []
    if row.get("catalogue_item") and not catalogue_billed:
        lines.append(catalogue_line(work_order_id, so_far + len(lines) + 1, row["catalogue_item"],
                                    row.get("catalogue_quantity") or 1, body.quoted_fen))
    return lines


def catalogue_line(work_order_id: str, n: int, code: str, quantity: int, quoted_fen: int | None) -> PricedLine:
    """The ordered catalogue service as one line, made once in the job's life (its line id,
    like every line's, stable forever): billing prices it from its price list, or takes the
    quote for an item priced on a quote. Labour to a consumer that knows only labour and material."""
    return PricedLine(
        line_id=line_id(work_order_id, n), n=n, kind="labour", description=f"catalogue {code}",
        quantity=quantity, unit_price_fen=0, amount_fen=quoted_fen or 0, catalogue_item=code,
    )


def line_id(work_order_id: str, n: int) -> str:
    """Stable forever: billing posts a line id once, however often the job is closed."""
    return f"{work_order_id}:{n}"


def price_job(
    work_order_id: str, lines_so_far: int, labour_fen: int, materials: list[MaterialUse]
) -> list[PricedLine]:
    """New charge lines of one paid resolution, numbered after every line the job ever had."""
    check_money(labour_fen, materials)
    drafts: list[tuple[str, str, int, int]] = []
    if labour_fen > 0:
        drafts.append(("labour", "labour (人工)", 1, labour_fen))
    drafts.extend(("material", m.name, m.quantity, m.unit_price_fen) for m in materials)
    return [
        PricedLine(
            line_id=line_id(work_order_id, n),
            n=n,
            kind=kind,  # type: ignore[arg-type]
            description=description,
            quantity=quantity,
            unit_price_fen=price,
            amount_fen=quantity * price,
        )
        for n, (kind, description, quantity, price) in enumerate(drafts, start=lines_so_far + 1)
    ]
