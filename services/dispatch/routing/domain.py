"""Routing rules: the department a request goes to, and how pressing its words say it is.

Pure functions and small values; no I/O. Keyword rules are Chinese and English, matched
case-insensitively in the plaza's order; the first rule that matches wins.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from libs.contracts import validate_token
from libs.contracts.subjects import InvalidToken

Priority = Literal["emergency", "urgent", "normal"]


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
    return matching_department(text, rules) or FALLBACK_DEPARTMENT.get(kind, "customer_service")


def matching_department(text: str, rules: list[RoutingRule] | None = None) -> str | None:
    """The department of the plaza's first rule whose keyword is in the text, if any."""
    lowered = text.lower()
    for rule in rules or DEFAULT_RULES:
        if rule.keyword.lower() in lowered:
            return rule.department
    return None


def department_for(
    text: str, kind: str, rules: list[RoutingRule] | None = None, *, proposed: str | None = None, chosen: bool = False,
) -> str:
    """Where a request's job goes: the department the clerk chose, over everything; else the
    plaza's first matching rule (the plaza knows its own set-up better than a guess from
    the words); else the department intake proposed; else by kind. A department that could
    not be a subject token is no department at all."""
    proposed = proposed if proposed is not None and is_department(proposed) else None
    if chosen and proposed:
        return proposed
    return matching_department(text, rules) or proposed or FALLBACK_DEPARTMENT.get(kind, "customer_service")


def is_department(name: str) -> bool:
    try:
        validate_token(name, "department")
    except InvalidToken:
        return False
    return True


def priority_of(text: str) -> Priority:
    lowered = text.lower()
    if any(word in lowered for word in EMERGENCY_KEYWORDS):
        return "emergency"
    if any(word in lowered for word in URGENT_KEYWORDS):
        return "urgent"
    return "normal"


def praised_department(praised: str | None, text: str, rules: list[RoutingRule] | None = None) -> str:
    """The department a praise names, else the one its words point to."""
    return praised or route(text, "praise", rules)
