"""Billing's HTTP API for arrears, dunning and monthly reports: translation only."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, Parameter

from libs.runtime import export
from libs.runtime.errors import InvalidInput
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.billing import services, services_dunning, services_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ArrearsView(msgspec.Struct, kw_only=True):
    as_of: str
    totals: dict[str, int]
    units: list[services_dunning.UnitArrears]
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
        return services.now()
    if value.tzinfo is None:
        raise InvalidInput("now must carry a time zone (e.g. 2026-12-31T00:00:00Z)", field="now")
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999: no such instant in UTC
        raise InvalidInput("now is out of range", field="now") from None


class DunningController(Controller):
    path = "/v1/plazas/{plaza:str}"

    @get("/arrears")
    async def arrears(
        self, plaza: FromPath[str], runtime: Runtime, as_of: dt.date | None = Parameter(query="as_of", default=None),
    ) -> ArrearsView:
        async with runtime.read() as conn:
            today = as_of or await services_dunning.plaza_today(conn, plaza, services.now())
            totals, units = await services_dunning.arrears(conn, plaza, today)
        return ArrearsView(as_of=today.isoformat(), totals=totals, units=units)

    @post("/dunning-runs", status_code=201)
    async def run(
        self, plaza: FromPath[str], runtime: Runtime, data: services_dunning.DunningRun | None = None,
    ) -> services_dunning.DunningReport:
        plaza_token(plaza)
        now = _aware(data.now if data else None)
        async with runtime.transaction() as tx:
            return await services_dunning.run_dunning(tx, plaza, now)

    @get("/dunning/tasks")
    async def tasks(
        self, plaza: FromPath[str], runtime: Runtime,
        status: str | None = Parameter(query="status", default=None),
        unit: str | None = Parameter(query="unit", default=None),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await services_dunning.dunning_tasks_of(conn, plaza, status, unit)
        return Page(items=[_task(r) for r in rows])

    @post("/dunning/tasks/{task_id:str}/outcome", status_code=200)
    async def outcome(
        self, plaza: FromPath[str], task_id: FromPath[str], data: services_dunning.OutcomeCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> TaskView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return _task(await services_dunning.record_outcome(tx, plaza, task_id, data, actor=actor))


class ReportController(Controller):
    path = "/v1/plazas/{plaza:str}/reports"

    @get("/monthly")
    async def monthly(
        self, plaza: FromPath[str], runtime: Runtime, month: str = Parameter(query="month"),
        format: str = Parameter(query="format", default="json"),
    ) -> Response:
        if format not in ("json", "xlsx"):
            raise InvalidInput("format must be json or xlsx", field="format")
        async with runtime.read() as conn:
            report = await services_reports.monthly_report(conn, plaza, month)
        if format == "xlsx":
            headers = {"Content-Disposition": f'attachment; filename="billing-{plaza}-{month}.xlsx"'}
            return Response(await export.off_loop(services_reports.monthly_xlsx, report), media_type=XLSX, headers=headers)
        return Response(msgspec.to_builtins(report))
