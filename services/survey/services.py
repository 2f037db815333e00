"""Survey use cases for return visits and the plaza's survey policy: each one function, one
transaction, its events to the outbox. Campaigns, plans and reports have their own modules."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    PlazaRegistered,
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    VisitSkipped,
    WorkOrderClosed,
    WorkOrderCreated,
)
from libs.runtime import logging as log
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.survey import domain, domain_campaigns, store

logger = log.get("survey")


def now() -> dt.datetime:
    """The clock statuses are read against; tests replace it to see a visit go overdue."""
    return utcnow()


class ResponseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    rating: domain.Rating
    comment: str | None = None
    channel: domain.AnswerChannel | None = None
    reasons: list[str] = []


class CampaignSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """What a new campaign gets unless its creator says otherwise."""

    sample_size: int = 100
    scale: domain_campaigns.Scale = "five_point"
    dimensions: list[domain_campaigns.Dimension] = msgspec.field(
        default_factory=lambda: list(domain_campaigns.DEFAULT_DIMENSIONS)
    )


class PolicyUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    # None: the deployment's VISIT_WINDOW_HOURS.
    window_hours: int | None = None
    fatigue_days: int = domain.DEFAULT_FATIGUE_DAYS
    link_ttl_hours: int = 168
    campaign: CampaignSettings = msgspec.field(default_factory=CampaignSettings)


class Policy(msgspec.Struct, kw_only=True):
    plaza_id: str
    window_hours: int
    fatigue_days: int
    link_ttl_hours: int
    campaign: CampaignSettings
    updated_at: str | None = None
    updated_by: str | None = None


# --- policy -----------------------------------------------------------------------------

async def effective_policy(conn, plaza_id: str, default_window_hours: int) -> Policy:
    row = await store.get_policy(conn, plaza_id)
    if row is None:
        return Policy(plaza_id=plaza_id, window_hours=default_window_hours,
                      fatigue_days=domain.DEFAULT_FATIGUE_DAYS, link_ttl_hours=168, campaign=CampaignSettings())
    return Policy(
        plaza_id=plaza_id, window_hours=row["window_hours"], fatigue_days=row["fatigue_days"],
        link_ttl_hours=row["link_ttl_hours"], campaign=msgspec.convert(row["campaign"], CampaignSettings),
        updated_at=row["updated_at"].isoformat().replace("+00:00", "Z"), updated_by=row["updated_by"],
    )


async def put_policy(tx: Tx, plaza_id: str, body: PolicyUpdate, *, default_window_hours: int, actor: str) -> Policy:
    _check_policy(body)
    await store.put_policy(tx.conn, plaza_id, {
        "window_hours": body.window_hours or default_window_hours,
        "fatigue_days": body.fatigue_days,
        "link_ttl_hours": body.link_ttl_hours,
        "campaign": msgspec.to_builtins(body.campaign),
        "updated_at": utcnow(),
        "updated_by": actor,
    })
    return await effective_policy(tx.conn, plaza_id, default_window_hours)


def _check_policy(body: PolicyUpdate) -> None:
    checks = [
        (body.window_hours is None or 1 <= body.window_hours <= 24 * 60, "window_hours", "1 hour to 60 days"),
        (0 <= body.fatigue_days <= 366, "fatigue_days", "0 (no fatigue window) to 366 days"),
        (1 <= body.link_ttl_hours <= 24 * 90, "link_ttl_hours", "1 hour to 90 days"),
        (1 <= body.campaign.sample_size <= 100_000, "campaign.sample_size", "1 to 100000"),
    ]
    for ok, field, allowed in checks:
        if not ok:
            raise InvalidInput(f"{field} must be {allowed}", field=field)
    try:
        domain_campaigns.check_dimensions(body.campaign.dimensions)
    except domain_campaigns.CampaignRefused as exc:
        raise InvalidInput(exc.reason, field=f"campaign.{exc.field}") from exc


# --- visits -----------------------------------------------------------------------------

async def record_work_order(tx: Tx, event: WorkOrderCreated) -> None:
    """Remember the work order's kind; a complaint whose close arrived first, and was
    skipped for fatigue, gets its visit after all."""
    await store.add_work_order(tx.conn, {
        "plaza_id": event.plaza_id, "work_order_id": event.work_order_id, "kind": event.kind,
        "unit": event.unit, "department": event.department,
    })
    if event.kind != "complaint":
        return
    for visit in await store.skipped_visit(tx.conn, event.plaza_id, event.work_order_id):
        scheduled = _scheduled(visit, event.id)
        if await store.unskip_visit(tx.conn, event.plaza_id, visit["id"], scheduled.id):
            await tx.emit(scheduled)
            logger.info("visit_unskipped_for_complaint", visit_id=visit["id"], work_order_id=event.work_order_id)


def _scheduled(visit, causation_id: str, event_id: str | None = None) -> VisitScheduled:
    return VisitScheduled(
        id=event_id or new_event_id(), plaza_id=visit["plaza_id"], correlation_id=visit["correlation_id"], causation_id=causation_id,
        actor="survey", visit_id=visit["id"], work_order_id=visit["work_order_id"], unit=visit["unit"],
        department=visit["department"], due_at=visit["due_at"],
    )


async def schedule_visit(tx: Tx, event: WorkOrderClosed, *, window: dt.timedelta) -> bool:
    """One visit per close — pending, or skipped when the fatigue window spares the unit;
    False when this close (by any event id) already has one."""
    policy = await effective_policy(tx.conn, event.plaza_id, int(window.total_seconds() // 3600))
    due = domain.due_at(event.occurred_at, dt.timedelta(hours=policy.window_hours))
    last = await _last_surveyed(tx, event, policy.fatigue_days)
    kind = await store.work_order_kind(tx.conn, event.plaza_id, event.work_order_id)
    skip = domain.fatigue_applies(kind=kind, reopen_count=event.reopen_count, last_surveyed_at=last)
    row = _visit_row(event, new_event_id(), due, skip_reason="fatigue" if skip else None)
    if not await store.add_visit(tx.conn, row):
        logger.info("visit_already_scheduled", work_order_id=event.work_order_id, reopen_count=event.reopen_count)
        return False
    await tx.emit(_skipped(row, event, last) if skip else _scheduled(row, event.id, row["scheduled_event_id"]))
    logger.info("visit_skipped" if skip else "visit_scheduled", visit_id=row["id"],
                work_order_id=event.work_order_id, due_at=due.isoformat())
    return True


async def _last_surveyed(tx: Tx, event: WorkOrderClosed, fatigue_days: int) -> dt.datetime | None:
    lo, hi = domain.fatigue_span(event.occurred_at, fatigue_days)
    return await store.last_surveyed_near(tx.conn, event.plaza_id, event.unit, lo, hi, event.work_order_id)


def _skipped(row: dict, event: WorkOrderClosed, last: dt.datetime | None) -> VisitSkipped:
    return VisitSkipped(
        id=row["scheduled_event_id"], plaza_id=event.plaza_id, correlation_id=event.correlation_id,
        causation_id=event.id, actor="survey", visit_id=row["id"], work_order_id=event.work_order_id,
        unit=event.unit, department=event.department, last_surveyed_at=last,
    )


def _visit_row(event: WorkOrderClosed, visit_id: str, due: dt.datetime, *, skip_reason: str | None) -> dict:
    return {
        "id": visit_id,
        "plaza_id": event.plaza_id,
        "work_order_id": event.work_order_id,
        "reopen_count": event.reopen_count,
        "request_id": event.request_id,
        "unit": event.unit,
        "department": event.department,
        "closed_at": event.occurred_at,
        "scheduled_at": utcnow(),
        "due_at": due,
        "correlation_id": event.correlation_id,
        "scheduled_event_id": new_event_id(),
        "skip_reason": skip_reason,
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
        "comment": answer.comment, "channel": answer.channel, "reasons": list(answer.reasons),
    }
    if not await store.record_answer(tx.conn, plaza_id, visit_id, values):
        raise Conflict("this return visit has already been answered", field="id")
    await tx.emit(_completed(visit, answer, answered_at, actor))
    return await store.get_visit(tx.conn, plaza_id, visit_id)


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


# --- archive's facts ----------------------------------------------------------------------

async def record_plaza(tx: Tx, event: PlazaRegistered) -> None:
    await store.upsert_plaza(tx.conn, event.plaza_id, event.name, event.timezone)


async def record_unit(tx: Tx, event: UnitRegistered) -> None:
    await store.upsert_unit(
        tx.conn,
        event.plaza_id,
        event.unit,
        {
            "revision": event.revision,
            "occupant_name": event.occupant.name,
            "occupant_phone": event.occupant.phone,
            "occupant_kind": event.occupant.kind,
            "key_account": event.key_account,
            # Archive may add a building later; until then the unit's prefix names it.
            "building": domain_campaigns.building_of(event.unit, getattr(event, "building", None)),
        },
    )
