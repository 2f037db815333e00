"""Events on the DISPATCH stream (produced by dispatch).

Work-order subjects carry the department: ``plazadesk.dispatch.<plaza>.<department>.work_order.<what>``."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class _WorkOrderEvent(Event, frozen=True, kw_only=True):
    work_order_id: str
    request_id: str
    unit: str
    department: str
    reopen_count: Quantity = 0
    # Added in v1 (compatible: default): the job's kind on every work-order event, so a
    # consumer decides from the event alone. None only from a producer older than the field.
    kind: Kind | None = None
    what: ClassVar[str] = ""

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, self.department, "work_order", self.what)


class WorkOrderCreated(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "created"
    kind: Kind
    text: str
    priority: Literal["emergency", "urgent", "normal"] = "normal"
    major: bool = False
    # Added in v1 (compatible: defaults): a handover defect fixed under warranty.
    warranty: bool = False
    responsible_party: str | None = None
    # Added in v1 (compatible: defaults): the SLA deadlines the job was given.
    respond_due_at: dt.datetime | None = None
    on_site_due_at: dt.datetime | None = None
    resolve_due_at: dt.datetime | None = None
    # Added in v1 (compatible: default): the catalogue service the request ordered.
    catalogue_item: CatalogueOrder | None = None


class WorkOrderAssigned(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "assigned"
    assignee: str  # a username of the staff service
    assignee_name: str | None = None  # their name when assigned (absent from events before it was kept)


class WorkOrderStarted(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "started"


class WorkOrderResolved(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "resolved"
    paid: bool
    labour_fen: Fen
    materials: list[Material] = []
    note: str | None = None


class WorkOrderClosed(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Carries every charge line of the job so far; billing posts each line id once."""

    what: ClassVar[str] = "closed"
    paid: bool
    charge_lines: list[ChargeLine] = []


class WorkOrderReopened(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Second dispatch (二次派单) after an unsatisfied return visit."""

    what: ClassVar[str] = "reopened"
    visit_id: str | None = None
    reason: str = ""
    # Added in v1 (compatible: default): the tighter deadline of the second dispatch.
    resolve_due_at: dt.datetime | None = None


class WorkOrderCancelled(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    what: ClassVar[str] = "cancelled"
    reason: str


class WorkOrderEscalated(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """Raised to the CS supervisor or the property manager (a major complaint: at once)."""

    what: ClassVar[str] = "escalated"
    level: Literal["supervisor", "manager"]
    reason: str
    # Added in v1 (compatible: defaults): the breached deadline, when a breach is the cause.
    deadline: Literal["respond", "on_site", "resolve"] | None = None
    due_at: dt.datetime | None = None
    # Added in v1 (compatible: defaults): whom it is raised to (usernames of the staff
    # service): a supervisor's escalation names the supervisor on duty (``on_duty``), else
    # the plaza's supervisors; empty: the level's inbox, nobody by name.
    to: list[str] = []
    on_duty: bool = False


class WorkOrderRerouted(_WorkOrderEvent, frozen=True, kw_only=True, tag=True):
    """The job was sent to another department (with a reason): it leaves ``from_department``'s
    queue and enters ``department``'s. Published on the new department's subject; the old
    department's systems learn of it from ``from_department`` on the same stream."""

    what: ClassVar[str] = "rerouted"
    from_department: str
    reason: str


class StockLow(Event, frozen=True, kw_only=True, tag=True):
    """A plaza's stock item fell to or below its low level (仓库物料 to reorder)."""

    sku: str
    name: str
    quantity: Quantity
    low_level: Quantity
    work_order_id: str | None = None

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "stock", "low")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (WorkOrderCreated, WorkOrderAssigned, WorkOrderStarted, WorkOrderResolved, WorkOrderClosed, WorkOrderReopened, WorkOrderEscalated, WorkOrderCancelled, WorkOrderRerouted, StockLow,)
