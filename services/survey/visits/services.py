"""Return visits (回访): a return visit is scheduled when every work order closes (by survey
link rather than a call within the fatigue window), and the occupant's answer is recorded.
Each use case one function, one transaction, its events to the outbox."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import RequestReceived, VisitCompleted, VisitScheduled, WorkOrderClosed
from libs.runtime import logging as log
from libs.runtime import limits
from libs.runtime.bus import log_context
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.survey.policy import services as policy
from services.survey.visits import domain, store

logger = log.get("survey")


def now() -> dt.datetime:
    """The clock statuses are read against; tests replace it to see a visit go overdue."""
    return utcnow()


class ResponseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rating: domain.Rating
    comment: limits.Note | None = None
    channel: domain.AnswerChannel | None = None
    reasons: limits.items(limits.Code, limits.REASONS_MAX) = []


class VisitView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    work_order_id: str
    reopen_count: int
    request_id: str | None
    unit: str
    department: str
    status: domain.Status
    # The unit's current occupant; for a job naming no unit, the contact its request gave.
    occupant_name: str | None
    occupant_phone: str | None
    area: str | None
    method: domain.Method
    method_reason: str | None
    closed_at: str
    scheduled_at: str
    due_at: str
    answered_at: str | None
    answered_by: str | None
    rating: domain.Rating | None
    reasons: list[str]
    comment: str | None
    channel: domain.AnswerChannel | None
    skip_reason: str | None


class SatisfactionCounts(msgspec.Struct, kw_only=True):
    satisfied: int
    basically_satisfied: int
    unsatisfied: int


class VisitStats(msgspec.Struct, kw_only=True):
    scheduled: int  # visits owed, online ones included; skipped by an older release are not
    done: int
    overdue: int
    pending: int
    skipped: int
    coverage: float | None
    satisfaction: SatisfactionCounts
    satisfaction_rate: float | None


async def schedule_visits(tx: Tx, closes: list[WorkOrderClosed], *, window: dt.timedelta) -> None:
    """One visit per close, by call or, within the fatigue window, by survey link (the visit
    is owed either way); a close that already has its visit (by any event id, in this batch
    or before) changes nothing."""
    if not closes:
        return
    book = await _Visits.load(tx.conn, closes, int(window.total_seconds() // 3600))
    scheduled_at = utcnow()
    decided = [(close, book.decide(close, scheduled_at)) for close in closes]
    inserted = await store.add_visits(tx.conn, [row for _, row in decided if row])
    emitted, lighter = [], 0
    for close, row in decided:
        with log_context(close):
            if row is None or tuple(row[k] for k in store.VISIT_KEY) not in inserted:
                logger.debug("visit_already_scheduled", work_order_id=close.work_order_id, reopen_count=close.reopen_count)
                continue
            lighter += row["method"] != "phone"
            emitted.append(_scheduled(row, close))
            logger.debug("visit_scheduled", visit_id=row["id"], work_order_id=close.work_order_id,
                         due_at=row["due_at"].isoformat(), method=row["method"])
    # At debug, like the other consumers' batches: each visit is an event on the stream,
    # and at info this line was written for every batch (90 a second at 500 closes/s).
    logger.debug("visits_decided", scheduled=len(emitted), online_for_fatigue=lighter,
                 already_scheduled=len(closes) - len(emitted))
    await tx.emit(*emitted)


class _Visits:
    """What a batch of closes needs to know, loaded with one query per table, and kept up to
    date as the batch's closes are decided in order: a later close sees the visits the
    earlier ones made, so a batch gives the visits that one close at a time would."""

    def __init__(self, policies: dict[str, policy.Policy], keys: set, called: dict) -> None:
        self.policies = policies
        self.keys = keys
        self.called = called

    @classmethod
    async def load(cls, conn, closes: list[WorkOrderClosed], default_window_hours: int) -> "_Visits":
        policies = await policy.effective_policies(conn, {c.plaza_id for c in closes}, default_window_hours)
        for close in closes:
            _due(close, policies[close.plaza_id])  # a close that can never be scheduled fails first
        work_orders = {(c.plaza_id, c.work_order_id) for c in closes}
        called = {}
        # 0 days: the window is off; a job naming no unit spares no one a call.
        fatigued = [c for c in closes if policies[c.plaza_id].fatigue_days and c.unit]
        if fatigued:
            spans = [domain.fatigue_span(c.occurred_at, policies[c.plaza_id].fatigue_days) for c in fatigued]
            units = {(c.plaza_id, c.unit) for c in fatigued}
            called = await store.called_closes(conn, units, min(s[0] for s in spans), max(s[1] for s in spans))
        keys = await store.visited_closes(conn, work_orders)
        return cls(policies, keys, called)

    def decide(self, close: WorkOrderClosed, scheduled_at: dt.datetime) -> dict | None:
        """The visit row for this close; None when the close already has its visit."""
        key = (close.plaza_id, close.work_order_id, close.reopen_count)
        if key in self.keys:
            return None
        self.keys.add(key)
        plaza_policy = self.policies[close.plaza_id]
        unit = self.called.setdefault((close.plaza_id, close.unit), [])
        last = domain.last_called_near(
            unit, closed_at=close.occurred_at, days=plaza_policy.fatigue_days, work_order_id=close.work_order_id
        )
        method, reason = domain.method_for(domain.fatigue_applies(
            kind=close.kind, reopen_count=close.reopen_count, last_called_at=last, unit=close.unit))
        if method == "phone":
            unit.append((close.work_order_id, close.occurred_at))
        return _visit_row(close, _due(close, plaza_policy), scheduled_at, method=method, method_reason=reason)


async def record_contacts(tx: Tx, requests: list[RequestReceived]) -> None:
    """Keeps who asked for requests that name no unit (a public area, a caller who is no
    occupant): their job's visit is made with that contact, there being no occupant to call."""
    await store.record_contacts(tx.conn, [
        {"plaza_id": r.plaza_id, "request_id": r.request_id, "name": r.contact.name if r.contact else None,
         "phone": r.contact.phone if r.contact else None, "area": r.area, "received_at": r.occurred_at}
        for r in requests
    ])


def _due(close: WorkOrderClosed, plaza_policy: policy.Policy) -> dt.datetime:
    try:
        return domain.due_at(close.occurred_at, dt.timedelta(hours=plaza_policy.window_hours))
    except ValueError as exc:  # a close time without its zone: no redelivery will mend it
        raise InvalidInput(f"work order {close.work_order_id!r}, occurred_at {close.occurred_at.isoformat()}: {exc}",
                           field="occurred_at") from exc


def _scheduled(row: dict, event: WorkOrderClosed) -> VisitScheduled:
    return VisitScheduled(
        id=row["scheduled_event_id"], plaza_id=event.plaza_id, correlation_id=event.correlation_id,
        causation_id=event.id, actor="survey", visit_id=row["id"], work_order_id=event.work_order_id,
        unit=event.unit, department=event.department, due_at=row["due_at"],
    )


def _visit_row(event: WorkOrderClosed, due: dt.datetime, scheduled_at: dt.datetime, *, method: str,
               method_reason: str | None) -> dict:
    return {
        "id": new_event_id(),
        "plaza_id": event.plaza_id,
        "work_order_id": event.work_order_id,
        "reopen_count": event.reopen_count,
        "request_id": event.request_id,
        "unit": event.unit,
        "department": event.department,
        "closed_at": event.occurred_at,
        "scheduled_at": scheduled_at,
        "due_at": due,
        "correlation_id": event.correlation_id,
        "scheduled_event_id": new_event_id(),
        "skip_reason": None,
        "method": method,
        "method_reason": method_reason,
    }


async def answer_visit(tx: Tx, plaza_id: str, visit_id: str, body: ResponseCreate, *, actor: str,
                       only_unit: str | None = None) -> VisitView:
    """Records the occupant's answer; the answered visit comes back. ``only_unit``: the
    occupant's own unit (their token's); a visit of another unit is not found, word for
    word an unknown visit's answer, and an occupant's answer is an online one."""
    visit = await _visit(tx.conn, plaza_id, visit_id)
    if only_unit is not None:
        if visit["unit"] != only_unit:
            raise NotFound(f"return visit {visit_id!r} not found in plaza {plaza_id!r}", field="id")
        body = msgspec.structs.replace(body, channel="online")
    answer = _accept(visit, body)
    answered_at = utcnow()
    values = {
        "answered_at": answered_at, "answered_by": actor, "rating": answer.rating,
        "comment": answer.comment, "channel": answer.channel, "reasons": list(answer.reasons),
    }
    if not await store.record_answer(tx.conn, plaza_id, visit_id, values):
        raise Conflict("this return visit has already been answered", field="id")
    await tx.emit(_completed(visit, answer, answered_at, actor))
    return view(await store.get_visit(tx.conn, plaza_id, visit_id), now())


def _accept(visit, body: ResponseCreate) -> domain.Answer:
    try:
        return domain.accept_answer(
            done=visit["answered_at"] is not None, rating=body.rating, comment=body.comment,
            channel=body.channel, reasons=body.reasons, skipped=visit["skip_reason"] is not None,
        )
    except domain.AlreadyAnswered as exc:
        raise Conflict(exc.reason, field=exc.field) from exc
    except domain.ResponseRefused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc


def _completed(visit, answer: domain.Answer, at: dt.datetime, actor: str) -> VisitCompleted:
    return VisitCompleted(
        plaza_id=visit["plaza_id"],
        occurred_at=at,
        correlation_id=visit["correlation_id"],
        causation_id=visit["scheduled_event_id"],
        actor=actor,
        visit_id=visit["id"],
        work_order_id=visit["work_order_id"],
        unit=visit["unit"],
        department=visit["department"],
        rating=answer.rating,
        comment=answer.comment,
        channel=answer.channel,
        reasons=list(answer.reasons),
    )


# --- reading ---------------------------------------------------------------------------------

async def show_visit(conn, plaza_id: str, visit_id: str) -> VisitView:
    return view(await _visit(conn, plaza_id, visit_id), now())


async def find_visits(conn, plaza_id: str, *, limit: int, **filters) -> list[VisitView]:
    """At most ``limit`` visits in id order; ``filters`` as ``store.list_visits`` takes them."""
    at = now()
    return [view(row, at) for row in await store.list_visits(conn, plaza_id, now=at, limit=limit, **filters)]


async def visit_stats(conn, plaza_id: str, department: str | None = None) -> VisitStats:
    counts = await store.visit_counts(conn, plaza_id, now=now(), department=department)
    ratings = {r: counts["ratings"].get(r, 0) for r in domain.RATINGS}
    return VisitStats(
        scheduled=counts["scheduled"], done=counts["done"], overdue=counts["overdue"],
        pending=counts["scheduled"] - counts["done"] - counts["overdue"], skipped=counts["skipped"],
        coverage=domain.coverage(counts["done"], counts["scheduled"]),
        satisfaction=SatisfactionCounts(**ratings),
        satisfaction_rate=domain.satisfaction_rate(ratings),
    )


async def month_figures(conn, plaza_id: str, lo: dt.datetime, hi: dt.datetime) -> tuple[dict, list]:
    """The visits of the closes within [lo, hi) counted as ``visit_counts`` does, and
    (department, rating, count) over the answers given within [lo, hi)."""
    counts = await store.visit_counts(conn, plaza_id, now=now(), closed_from=lo, closed_to=hi)
    return counts, await store.ratings_by_department(conn, plaza_id, lo, hi)


async def _visit(conn, plaza_id: str, visit_id: str):
    visit = await store.get_visit(conn, plaza_id, visit_id)
    if visit is None:
        raise NotFound(f"return visit {visit_id!r} not found in plaza {plaza_id!r}", field="id")
    return visit


def view(row, at: dt.datetime) -> VisitView:
    """The visit as the API shows it, its status read against the clock ``at``."""
    return VisitView(
        id=row["id"], plaza_id=row["plaza_id"], work_order_id=row["work_order_id"],
        reopen_count=row["reopen_count"], request_id=row["request_id"], unit=row["unit"],
        department=row["department"],
        status=domain.visit_status(row["answered_at"] is not None, row["due_at"], at, row["skip_reason"] is not None),
        occupant_name=row["occupant_name"], occupant_phone=row["occupant_phone"], area=row["area"],
        method=row["method"], method_reason=row["method_reason"], closed_at=iso(row["closed_at"]), scheduled_at=iso(row["scheduled_at"]),
        due_at=iso(row["due_at"]), answered_at=iso(row["answered_at"]),
        answered_by=row["answered_by"], rating=row["rating"], reasons=list(row["reasons"] or []),
        comment=row["comment"], channel=row["channel"], skip_reason=row["skip_reason"],
    )
