"""Arrears and dunning's HTTP API (欠费与催缴): ageing, dunning runs, the desk's tasks and
their outcomes. Translation only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.errors import InvalidInput
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.billing.dunning import services as dunning

RUN_EXAMPLE = Example(summary="以年末为准催缴 / Dun as of the year's end", value={"now": "2026-12-31T00:00:00Z"})
OUTCOME_EXAMPLE = Example(
    summary="客户承诺付款 / The occupant promised to pay",
    value={"outcome": "promised_to_pay", "note": "will pay by Friday"},
)


class ArrearsView(msgspec.Struct, kw_only=True):
    as_of: str
    totals: dict[str, int]
    units: list[dunning.UnitArrears]
    currency: str = "CNY"


class TaskView(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    entry_id: str
    invoice_id: str | None
    stage: str
    days_past_due: int
    open_fen: int
    due_date: str
    created_at: str
    status: str
    attempts: int
    outcome: str | None
    note: str | None
    recorded_by: str | None
    recorded_at: str | None


def _task(r) -> TaskView:
    return TaskView(
        id=r.id, unit=r.unit, entry_id=r.entry_id, invoice_id=r.invoice_id, stage=r.stage,
        days_past_due=r.days_past_due, open_fen=r.open_fen, due_date=r.due_date.isoformat(),
        created_at=iso(r.created_at), status=r.status, attempts=r.attempts, outcome=r.outcome, note=r.note,
        recorded_by=r.recorded_by, recorded_at=iso(r.recorded_at),
    )


def _aware(value: dt.datetime | None) -> dt.datetime:
    """An instant; the dunning run itself counts the days in the plaza's time zone."""
    if value is None:
        return dunning.now()
    if value.tzinfo is None:
        raise InvalidInput("now must carry a time zone (e.g. 2026-12-31T00:00:00Z)", field="now")
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999: no such instant in UTC
        raise InvalidInput("now is out of range", field="now") from None


class DunningController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["dunning"]

    @get("/arrears", summary="欠费账龄 / Arrears by age",
         description="截至 as_of（默认广场当地的今天）逾期未付的金额，按逾期天数分段（1-29、30-59、60-89、90-179、"
                     "180+），逐单元列出；有未结投诉的单元标明暂停催缴。 / What is overdue as of as_of (default: "
                     "the plaza's local today), in buckets of days past due, per unit; units with an open "
                     "complaint are marked as held from dunning.")
    async def arrears(
        self, plaza: FromPath[str], runtime: Runtime, as_of: dt.date | None = Parameter(query="as_of", default=None),
    ) -> ArrearsView:
        async with runtime.read() as conn:
            today = as_of or await dunning.plaza_today(conn, plaza, dunning.now())
            totals, units = await dunning.arrears(conn, plaza, today)
        return ArrearsView(as_of=today.isoformat(), totals=totals, units=units)

    @post("/dunning-runs", status_code=201, summary="执行催缴 / Run dunning",
          description="每个逾期未结项每个阶段发一次提醒（DunningReminderIssued），180 天以上升级（ArrearsEscalated）；"
                      "重复执行不会重复提醒，有未结投诉的单元暂停。body 可省略；now 须带时区。每小时也会自动执行。 / "
                      "One reminder per overdue item per stage, escalated at 180+ days; a repeated run "
                      "reminds no one twice, and units with an open complaint are held. The body is "
                      "optional; now must carry a time zone. It also runs every hour by itself.")
    async def run(
        self, plaza: FromPath[str], runtime: Runtime,
        data: Annotated[dunning.DunningRun | None, Body(examples=[RUN_EXAMPLE])] = None,
    ) -> dunning.DunningReport:
        plaza_token(plaza)
        now = _aware(data.now if data else None)
        async with runtime.transaction() as tx:
            return await dunning.run_dunning(tx, plaza, now)

    @get("/dunning/tasks", summary="催缴任务 / Dunning tasks",
         description="催缴提醒生成的前台任务，按生成时间排序，可按状态（open、done）和单元筛选。 / The desk's tasks "
                     "the reminders made, oldest first, optionally by status (open, done) and unit.")
    async def tasks(
        self, plaza: FromPath[str], runtime: Runtime,
        status: str | None = Parameter(query="status", default=None),
        unit: str | None = Parameter(query="unit", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await dunning.dunning_tasks_of(conn, plaza, status, unit)
        return Page(items=[_task(r) for r in rows])

    @post("/dunning/tasks/{task_id:str}/outcome", status_code=200, summary="登记催缴结果 / Record a call's outcome",
          description="记录催缴电话的结果；no_answer 使任务保持 open 待再次联系，其余结果结束任务，已结束的再登记返回 409。 / "
                      "Records how the call went; no_answer keeps the task open for another call, any other "
                      "outcome ends it, and an ended task answers 409.")
    async def outcome(
        self, plaza: FromPath[str], task_id: FromPath[str],
        data: Annotated[dunning.OutcomeCreate, Body(examples=[OUTCOME_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> TaskView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return _task(await dunning.record_outcome(tx, plaza, task_id, data, actor=actor))
