"""Survey use cases for return visits and the plaza's survey policy: each one function, one
transaction, its events to the outbox. Campaigns, plans and reports have their own modules."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import (
    UnitRegistered,
    VisitCompleted,
    VisitScheduled,
    VisitSkipped,
    WorkOrderClosed,
)
from libs.runtime import logging as log
from libs.runtime import limits, replica
from libs.runtime.bus import log_context
from libs.runtime.cache import PlazaCache
from libs.runtime.db import database_key
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.outbox import Tx
from services.survey import domain, domain_campaigns, store

logger = log.get("survey")


def now() -> dt.datetime:
    """The clock statuses are read against; tests replace it to see a visit go overdue."""
    return utcnow()


class ResponseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rating: domain.Rating
    comment: limits.Note | None = None
    channel: domain.AnswerChannel | None = None
    reasons: limits.items(limits.Code, limits.REASONS_MAX) = []


class CampaignSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a new campaign gets unless its creator says otherwise."""

    sample_size: limits.Count = 100
    scale: domain_campaigns.Scale = "five_point"
    dimensions: limits.items(domain_campaigns.Dimension, limits.DIMENSIONS_MAX) = msgspec.field(
        default_factory=lambda: list(domain_campaigns.DEFAULT_DIMENSIONS)
    )


class PolicyUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # None: the deployment's VISIT_WINDOW_HOURS.
    window_hours: limits.Count | None = None
    fatigue_days: limits.Count = domain.DEFAULT_FATIGUE_DAYS
    link_ttl_hours: limits.Count = 168
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
    """The plaza's policy as stored now (what the API shows, and campaigns and links use)."""
    return _policy(plaza_id, await store.get_policy(conn, plaza_id), default_window_hours)


# A batch of closes needs its plazas' policies, which almost never change: kept a few
# seconds (PlazaCache) rather than read and built by every batch. A PUT forgets the
# plaza's entry here at once; another replica sees it within the cache's lifetime. The
# deployment's default window is part of the key: a plaza on the defaults takes it.
_policies: PlazaCache[Policy] = PlazaCache()


async def effective_policies(conn, plaza_ids: set[str], default_window_hours: int) -> dict[str, Policy]:
    async def load(missing: list[str]) -> dict[str, Policy]:
        rows = await store.get_policies(conn, missing)
        return {plaza_id: _policy(plaza_id, rows.get(plaza_id), default_window_hours) for plaza_id in missing}

    return await _policies.many((*database_key(conn), default_window_hours), plaza_ids, load)


def forget_policy(conn, plaza_id: str, default_window_hours: int) -> None:
    _policies.forget((*database_key(conn), default_window_hours), [plaza_id])


def _policy(plaza_id: str, row, default_window_hours: int) -> Policy:
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
    forget_policy(tx.conn, plaza_id, default_window_hours)
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

def _scheduled(visit, causation_id: str, event_id: str | None = None) -> VisitScheduled:
    return VisitScheduled(
        id=event_id or new_event_id(), plaza_id=visit["plaza_id"], correlation_id=visit["correlation_id"], causation_id=causation_id,
        actor="survey", visit_id=visit["id"], work_order_id=visit["work_order_id"], unit=visit["unit"],
        department=visit["department"], due_at=visit["due_at"],
    )


class _Visits:
    """What a batch of closes needs to know, loaded with one query per table, and kept up to
    date as the batch's closes are decided in order: a later close sees the visits the
    earlier ones made, so a batch gives the visits that one close at a time would."""

    def __init__(self, policies: dict[str, Policy], keys: set, surveyed: dict) -> None:
        self.policies = policies
        self.keys = keys
        self.surveyed = surveyed

    @classmethod
    async def load(cls, conn, closes: list[WorkOrderClosed], default_window_hours: int) -> "_Visits":
        policies = await effective_policies(conn, {c.plaza_id for c in closes}, default_window_hours)
        for close in closes:
            _due(close, policies[close.plaza_id])  # a close that can never be scheduled fails first
        work_orders = {(c.plaza_id, c.work_order_id) for c in closes}
        surveyed = {}
        fatigued = [c for c in closes if policies[c.plaza_id].fatigue_days]  # 0: the window is off
        if fatigued:
            spans = [domain.fatigue_span(c.occurred_at, policies[c.plaza_id].fatigue_days) for c in fatigued]
            units = {(c.plaza_id, c.unit) for c in fatigued}
            surveyed = await store.surveyed_closes(conn, units, min(s[0] for s in spans), max(s[1] for s in spans))
        keys = await store.visited_closes(conn, work_orders)
        return cls(policies, keys, surveyed)

    def decide(self, close: WorkOrderClosed, scheduled_at: dt.datetime) -> tuple[dict, dt.datetime | None] | None:
        """The visit row for this close and the surveyed close that spared it, if any;
        None when the close already has its visit."""
        key = (close.plaza_id, close.work_order_id, close.reopen_count)
        if key in self.keys:
            return None
        self.keys.add(key)
        policy = self.policies[close.plaza_id]
        unit = self.surveyed.setdefault((close.plaza_id, close.unit), [])
        last = domain.last_surveyed_near(
            unit, closed_at=close.occurred_at, days=policy.fatigue_days, work_order_id=close.work_order_id
        )
        skip = domain.fatigue_applies(kind=close.kind, reopen_count=close.reopen_count, last_surveyed_at=last)
        if not skip:
            unit.append((close.work_order_id, close.occurred_at))
        row = _visit_row(close, _due(close, policy), scheduled_at, skip_reason="fatigue" if skip else None)
        return row, last


async def schedule_visits(tx: Tx, closes: list[WorkOrderClosed], *, window: dt.timedelta) -> None:
    """One visit per close — pending, or skipped when the fatigue window spares the unit; a
    close that already has its visit (by any event id, in this batch or before) changes
    nothing."""
    if not closes:
        return
    book = await _Visits.load(tx.conn, closes, int(window.total_seconds() // 3600))
    scheduled_at = utcnow()
    decided = [(close, book.decide(close, scheduled_at)) for close in closes]
    inserted = await store.add_visits(tx.conn, [d[0] for _, d in decided if d])
    emitted, skipped = [], 0
    for close, made in decided:
        with log_context(close):
            if made is None or tuple(made[0][k] for k in store.VISIT_KEY) not in inserted:
                logger.debug("visit_already_scheduled", work_order_id=close.work_order_id, reopen_count=close.reopen_count)
                continue
            row, last = made
            skip = row["skip_reason"] is not None
            skipped += skip
            emitted.append(_skipped(row, close, last) if skip else _scheduled(row, close.id, row["scheduled_event_id"]))
            logger.debug("visit_skipped" if skip else "visit_scheduled", visit_id=row["id"],
                         work_order_id=close.work_order_id, due_at=row["due_at"].isoformat())
    # At debug, like the other consumers' batches: each visit is an event on the stream,
    # and at info this line was written for every batch (90 a second at 500 closes/s).
    logger.debug("visits_decided", scheduled=len(emitted) - skipped, skipped=skipped,
                 already_scheduled=len(closes) - len(emitted))
    await tx.emit(*emitted)


def _due(close: WorkOrderClosed, policy: Policy) -> dt.datetime:
    try:
        return domain.due_at(close.occurred_at, dt.timedelta(hours=policy.window_hours))
    except ValueError as exc:  # a close time without its zone: no redelivery will mend it
        raise InvalidInput(f"work order {close.work_order_id!r}, occurred_at {close.occurred_at.isoformat()}: {exc}",
                           field="occurred_at") from exc


def _skipped(row: dict, event: WorkOrderClosed, last: dt.datetime | None) -> VisitSkipped:
    return VisitSkipped(
        id=row["scheduled_event_id"], plaza_id=event.plaza_id, correlation_id=event.correlation_id,
        causation_id=event.id, actor="survey", visit_id=row["id"], work_order_id=event.work_order_id,
        unit=event.unit, department=event.department, last_surveyed_at=last,
    )


def _visit_row(event: WorkOrderClosed, due: dt.datetime, scheduled_at: dt.datetime, *, skip_reason: str | None) -> dict:
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

async def record_archive_facts(tx: Tx, events: list) -> None:
    """Archive's plazas and units, kept as survey's own copy (a batch at a time)."""
    await replica.keep_archive_facts(tx.conn, store.plazas, store.units, events, unit_extra=_survey_facts)


async def require_known_facts(tx: Tx, events: list) -> None:
    """No visit for a plaza or unit archive has not registered (UnknownFact: the consumer
    waits for archive's facts a while, then dead-letters the event)."""
    await replica.require_known(tx.conn, store.plazas, store.units, events)


def _survey_facts(event: UnitRegistered) -> dict:
    # A unit whose building archive does not know is placed by its number's prefix.
    return {"building": domain_campaigns.building_of(event.unit, event.building)}
