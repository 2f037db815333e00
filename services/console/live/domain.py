"""Which live updates a person's pages receive: an event's subject says what changed, at
which plaza and (for work orders) in which department; a page listens to topics."""

from __future__ import annotations

from libs.runtime.auth.principal import Principal

# What each producer's subjects change on the console's pages. The subject layout is
# libs/contracts/subjects.py: plazadesk.<service>.<plaza>.… (work orders: …<plaza>.<department>.work_order.…).
TOPIC_OF_SERVICE = {
    "dispatch": "work-orders",
    "survey": "visits",
    "billing": "accounts",
    "intake": "requests",
    "archive": "units",
}
TOPICS = frozenset(TOPIC_OF_SERVICE.values())
# The subjects the console's NATS user may read (scripts/natsconf.py grants exactly these).
SUBJECTS = tuple(f"plazadesk.{service}.>" for service in TOPIC_OF_SERVICE)


class Change:
    """One event's subject, read: its topic, plaza and department (None if it has none)."""

    __slots__ = ("topic", "plaza", "department", "unit")

    def __init__(self, topic: str, plaza: str, department: str | None) -> None:
        self.topic, self.plaza, self.department = topic, plaza, department


def change_of(subject: str) -> Change | None:
    parts = subject.split(".")
    if len(parts) < 4 or parts[0] != "plazadesk" or parts[1] not in TOPIC_OF_SERVICE:
        return None
    service, plaza = parts[1], parts[2]
    department = parts[3] if service == "dispatch" and len(parts) > 5 and parts[4] == "work_order" else None
    return Change(TOPIC_OF_SERVICE[service], plaza, department)


def may_see(principal: Principal, change: Change) -> bool:
    """The same rule as the services' own: a plaza the token holds; department staff only
    their department's work orders; an occupant nothing live but their own pages' reloads."""
    if not principal.holds(change.plaza):
        return False
    roles = principal.roles_at(change.plaza)
    if roles == {"occupant"}:
        return change.topic in ("visits", "accounts", "requests", "work-orders")
    if change.topic == "work-orders" and change.department is not None:
        only = principal.department_only(change.plaza)
        return only is None or only == change.department
    return True


def wanted_topics(asked: str | None) -> frozenset[str]:
    chosen = frozenset(t for t in (asked or "").split(",") if t in TOPICS)
    return chosen or TOPICS
