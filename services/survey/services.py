"""Survey use cases: each one function, one transaction, its events to the outbox."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    PlazaRegistered,
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    WorkOrderClosed,
)
from libs.runtime import logging as log
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.survey import domain, store

logger = log.get("survey")


def now() -> dt.datetime:
    """The clock statuses are read against; tests replace it to see a visit go overdue."""
    return utcnow()


class ResponseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    rating: domain.Rating
    comment: str | None = None
    channel: domain.AnswerChannel | None = None


async def schedule_visit(tx: Tx, event: WorkOrderClosed, *, window: dt.timedelta) -> bool:
    """One visit per close; False when this close (by any event id) already has one."""
    visit_id = new_event_id()
    due = domain.due_at(event.occurred_at, window)
    scheduled = VisitScheduled(
        plaza_id=event.plaza_id,
        correlation_id=event.correlation_id,
        causation_id=event.id,
        actor="survey",
        visit_id=visit_id,
        work_order_id=event.work_order_id,
        unit=event.unit,
        department=event.department,
        due_at=due,
    )
    added = await store.add_visit(tx.conn, _visit_row(event, scheduled))
    if not added:
        logger.info("visit_already_scheduled", work_order_id=event.work_order_id, reopen_count=event.reopen_count)
        return False
    await tx.emit(scheduled)
    logger.info("visit_scheduled", visit_id=visit_id, work_order_id=event.work_order_id, due_at=due.isoformat())
    return True


def _visit_row(event: WorkOrderClosed, scheduled: VisitScheduled) -> dict:
    return {
        "id": scheduled.visit_id,
        "plaza_id": event.plaza_id,
        "work_order_id": event.work_order_id,
        "reopen_count": event.reopen_count,
        "request_id": event.request_id,
        "unit": event.unit,
        "department": event.department,
        "closed_at": event.occurred_at,
        "scheduled_at": scheduled.occurred_at,
        "due_at": scheduled.due_at,
        "correlation_id": event.correlation_id,
        "scheduled_event_id": scheduled.id,
    }


async def answer_visit(tx: Tx, plaza_id: str, visit_id: str, body: ResponseCreate, *, actor: str):
    """Records the occupant's answer; the updated visit row comes back."""
    visit = await store.get_visit(tx.conn, plaza_id, visit_id)
    if visit is None:
        raise NotFound(f"return visit {visit_id!r} not found in plaza {plaza_id!r}", field="id")
    answer = _accept(visit, body)
    answered_at = utcnow()
    values = {
        "answered_at": answered_at, "answered_by": actor, "rating": answer.rating,
        "comment": answer.comment, "channel": answer.channel,
    }
    if not await store.record_answer(tx.conn, plaza_id, visit_id, values):
        raise Conflict("this return visit has already been answered", field="id")
    await tx.emit(_completed(visit, answer, answered_at, actor))
    return await store.get_visit(tx.conn, plaza_id, visit_id)


def _accept(visit, body: ResponseCreate) -> domain.Answer:
    try:
        return domain.accept_answer(
            done=visit["answered_at"] is not None, rating=body.rating,
            comment=body.comment, channel=body.channel,
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
    )


async def record_plaza(tx: Tx, event: PlazaRegistered) -> None:
    await store.upsert_plaza(tx.conn, event.plaza_id, event.name)


async def record_unit(tx: Tx, event: UnitRegistered) -> None:
    await store.upsert_unit(
        tx.conn,
        event.plaza_id,
        event.unit,
        {
            "revision": event.revision,
            "occupant_name": event.occupant.name,
            "occupant_phone": event.occupant.phone,
            "key_account": event.key_account,
        },
    )
