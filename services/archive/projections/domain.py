"""What archive's projections make of a batch of other services' events: the defects a
handover found, renovation permits, and the warranty work orders that fix defects.

Pure functions, no I/O. A batch (in stream order) is folded key by key, so a later event
of the batch sees what an earlier one did: the result is the one the events would have
given one at a time. What the database already holds is met by the writes themselves
(insert-if-absent, then an update guarded the same way as ``advance``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from libs.contracts import Event
from libs.contracts.events import (
    HandoverInspected,
    RenovationApproved,
    RenovationClosed,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)

Key = tuple[str, str]  # (plaza_id, the thing's own id)


# --- warranty work orders ----------------------------------------------------------------


def work_order_step(reopen_count: int, closed: bool) -> int:
    """Where a closing or reopening falls in a work order's life: reopening n (second
    dispatch) follows closing n-1, and closing n follows reopening n."""
    return 2 * reopen_count + (1 if closed else 0)


class WorkOrderState(msgspec.Struct, frozen=True, kw_only=True):
    defect_id: str  # the work order's request id
    closed: bool
    step: int
    changed_at: dt.datetime


class WorkOrderMark(msgspec.Struct, frozen=True, kw_only=True):
    """What one event says of a warranty work order; ``closed=None``: it was created."""

    defect_id: str
    closed: bool | None
    step: int
    at: dt.datetime


def advance(current: WorkOrderState | None, mark: WorkOrderMark) -> WorkOrderState:
    """A created order starts open. A closing or reopening replaces only a state of an
    earlier step, so a closing that arrives after the reopening does not undo it."""
    if current is None or (mark.closed is not None and current.step < mark.step):
        return WorkOrderState(defect_id=mark.defect_id, closed=bool(mark.closed), step=mark.step, changed_at=mark.at)
    return current


class WorkOrderPlan(msgspec.Struct, kw_only=True):
    """``if_new``: the row if the order has none yet (every mark of the batch applied).
    ``latest``: what its closings and reopenings leave on a row that exists, applied
    only where that row's step is earlier (``advance`` again, in SQL)."""

    if_new: WorkOrderState
    latest: WorkOrderState | None = None


def defects_asked(events: Iterable[Event]) -> set[Key]:
    """The defect ids whose existence decides what the batch's closings and reopenings do."""
    return {(e.plaza_id, e.request_id) for e in events if isinstance(e, (WorkOrderClosed, WorkOrderReopened))}


def work_orders_asked(events: Iterable[Event]) -> set[Key]:
    """The work orders of the batch's closings and reopenings: one already kept as a
    warranty order counts even before its defect is filed (archive reads the intake and
    dispatch streams separately, and after a pause dispatch's may run ahead)."""
    return {(e.plaza_id, e.work_order_id) for e in events if isinstance(e, (WorkOrderClosed, WorkOrderReopened))}


# --- renovation permits -------------------------------------------------------------------


class PermitPlan(msgspec.Struct, kw_only=True):
    """Approval and closing may arrive in either order; each fills in its own columns (the
    latest of the batch wins), a closing closes the permit, the first event names the unit."""

    unit: str
    approval: dict | None = None
    closing: dict | None = None

    @property
    def status(self) -> str:
        return "closed" if self.closing is not None else "approved"


def _approval(e: RenovationApproved) -> dict:
    return {"valid_from": e.valid_from, "valid_until": e.valid_until, "deposit_fen": e.deposit_fen,
            "approved_at": e.occurred_at}


def _closing(e: RenovationClosed) -> dict:
    return {"deduction_fen": e.deduction_fen, "closed_at": e.occurred_at}


# --- the batch ----------------------------------------------------------------------------


class Plan(msgspec.Struct, kw_only=True):
    defects: dict[Key, dict] = {}
    permits: dict[Key, PermitPlan] = {}
    work_orders: dict[Key, WorkOrderPlan] = {}


def plan(events: Iterable[Event], known_defects: set[Key], known_orders: set[Key] = frozenset()) -> Plan:
    """``known_defects``: those of ``defects_asked`` already stored; ``known_orders``: those
    of ``work_orders_asked`` already kept as warranty orders. Only a warranty order's
    request id is a defect id: ordinary work orders (nearly all of them) leave no row."""
    out, known, orders = Plan(), set(known_defects), set(known_orders)
    for e in events:
        if isinstance(e, HandoverInspected):
            for d in e.defects:
                out.defects.setdefault((e.plaza_id, d.defect_id), _defect(e, d))
                known.add((e.plaza_id, d.defect_id))
        elif isinstance(e, (RenovationApproved, RenovationClosed)):
            permit = out.permits.setdefault((e.plaza_id, e.permit_id), PermitPlan(unit=e.unit))
            if isinstance(e, RenovationApproved):
                permit.approval = _approval(e)
            else:
                permit.closing = _closing(e)
        elif isinstance(e, WorkOrderCreated) and e.warranty:
            _mark(out, e, WorkOrderMark(defect_id=e.request_id, closed=None, step=0, at=e.occurred_at))
            orders.add((e.plaza_id, e.work_order_id))
        elif isinstance(e, (WorkOrderClosed, WorkOrderReopened)) and (
            (e.plaza_id, e.request_id) in known or (e.plaza_id, e.work_order_id) in orders
        ):
            closed = isinstance(e, WorkOrderClosed)
            step = work_order_step(e.reopen_count, closed)
            _mark(out, e, WorkOrderMark(defect_id=e.request_id, closed=closed, step=step, at=e.occurred_at))
    return out


def _mark(out: Plan, e: WorkOrderCreated | WorkOrderClosed | WorkOrderReopened, mark: WorkOrderMark) -> None:
    key = (e.plaza_id, e.work_order_id)
    current = out.work_orders.get(key)
    if current is None:
        current = out.work_orders[key] = WorkOrderPlan(if_new=advance(None, mark))
    else:
        current.if_new = advance(current.if_new, mark)
    if mark.closed is not None:
        current.latest = advance(current.latest, mark)


def _defect(e: HandoverInspected, d) -> dict:
    return {"plaza_id": e.plaza_id, "defect_id": d.defect_id, "unit": e.unit, "inspection_id": e.inspection_id,
            "description": d.description, "location": d.location, "responsible_party": d.responsible_party,
            "department": d.department, "found_at": e.occurred_at}
