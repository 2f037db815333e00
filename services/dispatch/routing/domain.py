"""Routing rules: the department a request goes to, and how pressing its words say it is.

Pure functions and small values; no I/O. Keyword rules are Chinese and English, matched
case-insensitively in the plaza's order; the first rule that matches wins.
"""

from __future__ import annotations

from typing import Literal

import msgspec

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


def praised_department(praised: str | None, text: str, rules: list[RoutingRule] | None = None) -> str:
    """The department a praise names, else the one its words point to."""
    return praised or route(text, "praise", rules)
