"""Dispatch rules: route a request to a department, rate its priority, move a work order
through its lifecycle, and price a paid job as charge lines.

Pure functions and small values; no I/O. Keyword rules are Chinese and English, matched
case-insensitively in the plaza's order; the first rule that matches wins.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Status = Literal["created", "assigned", "in_progress", "resolved", "closed", "cancelled"]
Action = Literal["assign", "start", "resolve", "close", "reopen", "cancel"]
Priority = Literal["emergency", "urgent", "normal"]

# Only service requests and complaints become jobs; praise and suggestions are not work.
DISPATCHED_KINDS = ("service", "complaint")


class RoutingRule(msgspec.Struct, frozen=True, kw_only=True):
    keyword: str
    department: str


def _rules(department: str, *keywords: str) -> list[RoutingRule]:
    return [RoutingRule(keyword=k, department=department) for k in keywords]


# Engineering first: "停车场的灯坏了" is a broken light before it is a parking matter.
DEFAULT_RULES: list[RoutingRule] = [
    *_rules(
        "engineering",
        "drain", "leak", "pipe", "water", "电", "灯", "light", "power", "air condition",
        "空调", "水管", "堵", "漏", "door", "lift", "elevator", "电梯",
    ),
    *_rules(
        "security",
        "保安", "security", "noise", "噪音", "parking", "停车", "theft", "fight", "打架", "guard",
    ),
    *_rules(
        "cleaning",
        "清洁", "垃圾", "dirty", "trash", "clean", "卫生", "smell", "异味", "garbage",
    ),
]

FALLBACK_DEPARTMENT: dict[str, str] = {"service": "engineering", "complaint": "customer_service"}

EMERGENCY_KEYWORDS = ("flood", "fire", "burst", "漏水严重", "火", "trapped", "困", "smoke", "冒烟")
URGENT_KEYWORDS = ("urgent", "紧急", "asap", "尽快", "马上")


def route(text: str, kind: str, rules: list[RoutingRule] | None = None) -> str:
    """The department that does this job: the plaza's first matching rule, else by kind."""
    lowered = text.lower()
    for rule in rules or DEFAULT_RULES:
        if rule.keyword.lower() in lowered:
            return rule.department
    return FALLBACK_DEPARTMENT.get(kind, "customer_service")


def priority_of(text: str) -> Priority:
    lowered = text.lower()
    if any(word in lowered for word in EMERGENCY_KEYWORDS):
        return "emergency"
    if any(word in lowered for word in URGENT_KEYWORDS):
        return "urgent"
    return "normal"


def is_dispatched(kind: str, serviceable: bool) -> bool:
    return serviceable and kind in DISPATCHED_KINDS


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


def praised_department(praised: str | None, text: str, rules: list[RoutingRule] | None = None) -> str:
    """The department a praise names, else the one its words point to."""
    return praised or route(text, "praise", rules)


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


# --- charges ---------------------------------------------------------------------------


class MaterialUse(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    quantity: int
    unit_price_fen: int


class PricedLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    n: int
    kind: Literal["labour", "material"]
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


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
