"""Key-account visit plans (重点客户回访计划): generate a month's plan (by hand, or by the
hourly job for each plaza's current month), approve it, record each visit's outcome."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from libs.runtime import logging as log
from services.survey.campaigns import domain as campaign_rules
from services.survey.plans import domain, store
from services.survey.visits import domain as visit_rules

logger = log.get("survey")


class PlanCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    month: limits.Code


class OutcomeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: domain.Outcome
    rating: visit_rules.Rating | None = None
    note: limits.Note | None = None


class PlannedVisitView(msgspec.Struct, kw_only=True):
    unit: str
    occupant_name: str | None
    occupant_phone: str | None
    planned_on: str
    outcome: str | None
    rating: str | None
    note: str | None
    recorded_at: str | None
    recorded_by: str | None


class PlanView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    month: str
    status: domain.PlanStatus
    created_at: str
    created_by: str | None
    approved_at: str | None
    approved_by: str | None
    completed_at: str | None
    completion: domain.Completion
    visits: list[PlannedVisitView]


class PlanSummary(msgspec.Struct, kw_only=True):
    id: str
    month: str
    status: str


def _view(plan, items) -> PlanView:
    visits = [
        PlannedVisitView(
            unit=i["unit"], occupant_name=i["occupant_name"], occupant_phone=i["occupant_phone"],
            planned_on=i["planned_on"].isoformat(), outcome=i["outcome"], rating=i["rating"], note=i["note"],
            recorded_at=iso(i["recorded_at"]), recorded_by=i["recorded_by"],
        )
        for i in items
    ]
    return PlanView(
        id=plan["id"], plaza_id=plan["plaza_id"], month=plan["month"], status=plan["status"],
        created_at=iso(plan["created_at"]), created_by=plan["created_by"], approved_at=iso(plan["approved_at"]),
        approved_by=plan["approved_by"], completed_at=iso(plan["completed_at"]),
        completion=domain.completion([i["outcome"] for i in items]), visits=visits,
    )


def _refused(exc: domain.PlanRefused):
    return (Conflict if exc.conflict else InvalidInput)(exc.reason, field=exc.field)


async def generate_plan(tx: Tx, plaza_id: str, body: PlanCreate, *, actor: str) -> PlanView:
    try:
        month = campaign_rules.check_month(body.month)
    except campaign_rules.CampaignRefused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc
    units = await store.key_accounts(tx.conn, plaza_id)
    if not units:
        raise InvalidInput(f"plaza {plaza_id!r} has no key-account units to plan visits for", field="month")
    plan_id = new_event_id()
    row = {"id": plan_id, "plaza_id": plaza_id, "month": month, "status": "draft",
           "created_at": utcnow(), "created_by": actor}
    items = [{"plaza_id": plaza_id, "plan_id": plan_id, "unit": u, "planned_on": day}
             for u, day in domain.schedule(units, month)]
    if not await store.add_plan(tx.conn, row, items):
        raise Conflict(f"plaza {plaza_id!r} already has a key-account plan for {month}", field="month")
    return await show_plan(tx.conn, plaza_id, plan_id)


async def generate_due_plans(tx: Tx, now: dt.datetime) -> list[str]:
    """The monthly run: every plaza with key accounts gets a draft plan for its current
    month (in its own time zone) if it has none yet. Safe to run any number of times."""
    made = []
    for plaza_id, tz in await store.plazas_with_key_accounts(tx.conn):
        month = now.astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m")
        if await store.list_plans(tx.conn, plaza_id, month=month, after=None, limit=1):
            continue
        made.append((await generate_plan(tx, plaza_id, PlanCreate(month=month), actor="survey")).id)
        logger.info("key_account_plan_generated", plaza_id=plaza_id, month=month)
    return made


async def show_plan(conn: AsyncConnection, plaza_id: str, plan_id: str) -> PlanView:
    plan = await _plan(conn, plaza_id, plan_id)
    return _view(plan, await store.plan_items(conn, plaza_id, plan_id))


async def list_plans(conn: AsyncConnection, plaza_id: str, *, month: str | None, after: str | None,
                     limit: int) -> list[PlanSummary]:
    rows = await store.list_plans(conn, plaza_id, month=month, after=after, limit=limit)
    return [PlanSummary(id=r["id"], month=r["month"], status=r["status"]) for r in rows]


async def approve_plan(tx: Tx, plaza_id: str, plan_id: str, *, actor: str) -> PlanView:
    plan = await _plan(tx.conn, plaza_id, plan_id)
    try:
        status = domain.approve(plan["status"], plan["created_by"], actor)
    except domain.PlanRefused as exc:
        raise _refused(exc) from exc
    values = {"status": status, "approved_at": utcnow(), "approved_by": actor}
    if not await store.update_plan(tx.conn, plaza_id, plan_id, "draft", values):
        raise Conflict("the plan changed meanwhile; read it again", field="status")
    return await show_plan(tx.conn, plaza_id, plan_id)


async def record_outcome(tx: Tx, plaza_id: str, plan_id: str, unit: str, body: OutcomeCreate, *,
                         actor: str) -> PlanView:
    plan = await _plan(tx.conn, plaza_id, plan_id)
    item = await store.plan_item(tx.conn, plaza_id, plan_id, unit)
    if item is None:
        raise NotFound(f"unit {unit!r} is not on this plan", field="unit")
    try:
        outcome = domain.check_outcome(plan["status"], item["outcome"], body.outcome)
    except domain.PlanRefused as exc:
        raise _refused(exc) from exc
    values = {"outcome": outcome, "rating": body.rating, "note": (body.note or "").strip() or None,
              "recorded_at": utcnow(), "recorded_by": actor}
    if not await store.record_outcome(tx.conn, plaza_id, plan_id, unit, values):
        raise Conflict("this visit's outcome is already recorded", field="unit")
    await _complete_if_done(tx, plaza_id, plan_id, plan["status"])
    return await show_plan(tx.conn, plaza_id, plan_id)


async def _complete_if_done(tx: Tx, plaza_id: str, plan_id: str, status: str) -> None:
    outcomes = [i["outcome"] for i in await store.plan_items(tx.conn, plaza_id, plan_id)]
    if domain.status_after(status, outcomes) == "completed":
        await store.update_plan(tx.conn, plaza_id, plan_id, status, {"status": "completed", "completed_at": utcnow()})


async def _plan(conn: AsyncConnection, plaza_id: str, plan_id: str):
    plan = await store.get_plan(conn, plaza_id, plan_id)
    if plan is None:
        raise NotFound(f"key-account plan {plan_id!r} not found in plaza {plaza_id!r}", field="id")
    return plan
