"""Move-in season's HTTP API: handover appointments and inspections, renovation permits.
Routes only translate; every POST honours Idempotency-Key."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.intake import tables
from services.intake.movein import domain as rules
from services.intake.movein import services as movein
from services.intake.movein import store

IdempotencyKey = Parameter(header="Idempotency-Key", default=None)
Cursor = Parameter(query="cursor", default=None)
Limit = Parameter(query="limit", default=50, ge=1, le=500)


def _example(summary: str, value: dict):
    return Body(examples=[Example(summary=summary, value=value)])


CAPACITY = _example("每天 20 户，国庆 30 户 / 20 a day, 30 on National Day",
                    {"per_day": 20, "by_date": {"2026-10-01": 30}})
APPOINTMENT = _example("预约收楼 / Book a handover",
                       {"unit": "C-0802", "date": "2026-03-15", "contact": {"name": "李明", "phone": "13800138000"},
                        "note": "上午 / morning"})
CANCEL = _example("业主改期 / The owner will come another day", {"reason": "业主出差 / the owner is away"})
INSPECTION = _example(
    "验房发现一处缺陷 / One defect found at the handover",
    {"accepted": True, "inspector": "王工", "defects": [
        {"description": "主卧墙面开裂 / a crack in the bedroom wall", "responsible_party": "华建 Huajian",
         "location": "主卧 / master bedroom", "department": "engineering"}]},
)
RENOVATION = _example(
    "申请装修 / Apply for a renovation permit",
    {"unit": "C-0802", "contractor": "好家装饰 Haojia Decor", "start": "2026-04-01", "end": "2026-05-31",
     "deposit_fen": 300000, "description": "厨卫翻新 / kitchen and bathroom refit",
     "workers": [{"name": "张三", "id_number": "110101199001011234", "phone": "13700137000"}]},
)
REVIEW = _example("审核通过 / Passed review", {"decision": "approve", "note": "图纸齐全 / drawings complete"})
STEP = _example("备注 / With a note", {"note": "物业经理批准 / approved by the property manager"})
FINAL = _example("验收通过，扣 200 元 / Passed, ¥200 deducted",
                 {"passed": True, "deduction_fen": 20000, "deduction_reason": "电梯划痕 / scratched lift"})


def page(items: list, limit: int) -> Page:
    return Page.of(items, limit)


class DayView(msgspec.Struct, kw_only=True):
    date: dt.date
    capacity: int
    booked: int
    remaining: int


class AppointmentDetail(movein.AppointmentView, kw_only=True):
    inspection: movein.InspectionView | None = None


async def _write(runtime: Runtime, plaza: str, use_case, *args, **kwargs):
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        return await use_case(tx, plaza, *args, **kwargs)


async def _capacity(runtime: Runtime, plaza: str) -> movein.CapacityView:
    async with runtime.read() as conn:
        capacity, provenance = await movein.capacity_of(conn, plaza)
    return movein.CapacityView(**msgspec.structs.asdict(capacity), **msgspec.structs.asdict(provenance))


class HandoverController(Controller):
    path = "/v1/plazas/{plaza:str}/handover"

    @get("/capacity", summary="收楼接待量 / Handover capacity",
         description="每天可预约的收楼户数（by_date 覆盖某天），以及谁何时设置的。\n\n"
         "How many handovers a day the plaza takes (``by_date`` overrides a day), and who set it when.")
    async def capacity(self, plaza: FromPath[str], runtime: Runtime) -> movein.CapacityView:
        return await _capacity(runtime, plaza)

    @put("/capacity", summary="设置收楼接待量 / Set the handover capacity",
         description="替换广场的每日接待量。\n\nReplaces the plaza's daily handover capacity.")
    async def set_capacity(
        self, plaza: FromPath[str], data: Annotated[rules.Capacity, CAPACITY], runtime: Runtime, actor: str = ACTOR,
    ) -> movein.CapacityView:
        return await _write(runtime, plaza, movein.set_capacity, data, actor=actor)

    @get("/days/{day:date}", summary="某天的预约 / One day's bookings",
         description="某天的接待量、已约、剩余。\n\nOne day's capacity, bookings and what remains.")
    async def day(self, plaza: FromPath[str], day: FromPath[dt.date], runtime: Runtime) -> DayView:
        async with runtime.read() as conn:
            capacity, _ = await movein.capacity_of(conn, plaza)
            booked = await store.booked_on(conn, plaza, day)
        limit = capacity.on(day)
        return DayView(date=day, capacity=limit, booked=booked, remaining=max(limit - booked, 0))

    @post("/appointments", status_code=201, summary="预约收楼 / Book a handover",
          description="为单元预约收楼日期（广场时区的今天或以后）；一个单元同时只有一个预约，约满的日子答 409。\n\n"
          "Books the unit's handover on a day (today or later where the plaza is); a unit has one "
          "booking at a time, and a full day answers 409.")
    async def book(
        self, plaza: FromPath[str], data: Annotated[rules.AppointmentCreate, APPOINTMENT], runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = ACTOR,
    ) -> movein.AppointmentView:
        return await _write(runtime, plaza, movein.book_handover, data, actor=actor, idempotency_key=idempotency_key)

    @get("/appointments", summary="收楼预约列表 / List the handover bookings",
         description="可按单元、日期、状态筛选，分页。\n\nFiltered by unit, date and status, a page at a time.")
    async def appointments(
        self, plaza: FromPath[str], runtime: Runtime, unit: str | None = None,
        date: dt.date | None = None, status: Literal["booked", "cancelled", "inspected"] | None = None,
        cursor: str | None = Cursor, limit: int = Limit,
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.listing(
                conn, tables.handover_appointments, plaza, after=cursor, limit=limit, unit=unit, day=date, status=status
            )
        return page([movein.appointment_view(r) for r in rows], limit)

    @get("/appointments/{appointment_id:str}", summary="查看收楼预约 / Show a handover booking",
         description="预约及其验房结果（如已验房）。\n\nThe booking with its inspection, once there is one.")
    async def appointment(self, plaza: FromPath[str], appointment_id: FromPath[str], runtime: Runtime) -> AppointmentDetail:
        async with runtime.read() as conn:
            row = await store.get(conn, tables.handover_appointments, plaza, appointment_id)
            if row is None:
                raise NotFound(f"handover appointment {appointment_id!r} not found in plaza {plaza!r}", field="id")
            inspection = await movein.inspection_of(conn, plaza, row["inspection_id"]) if row["inspection_id"] else None
        view = movein.appointment_view(row)
        return AppointmentDetail(**msgspec.structs.asdict(view), inspection=inspection)

    @post("/appointments/{appointment_id:str}/cancel", status_code=200, summary="取消收楼预约 / Cancel a booking",
          description="取消尚未验房的预约，让出当天名额。\n\nCancels a booking not yet inspected and frees its place that day.")
    async def cancel(
        self, plaza: FromPath[str], appointment_id: FromPath[str], runtime: Runtime,
        data: Annotated[rules.CancelBody | None, CANCEL] = None, idempotency_key: str | None = IdempotencyKey,
        actor: str = ACTOR,
    ) -> movein.AppointmentView:
        body = data or rules.CancelBody()
        return await _write(runtime, plaza, movein.cancel_handover, appointment_id, body, actor=actor, idempotency_key=idempotency_key)

    @post("/appointments/{appointment_id:str}/inspection", status_code=201, summary="记录验房 / Record the inspection",
          description="收楼验房：是否接收及发现的缺陷（各有保修责任方）；发出 HandoverInspected，派工据此开保修工单。\n\n"
          "The handover inspection: accepted or not, and the defects found, each with the party "
          "responsible under warranty; announces HandoverInspected, from which dispatch opens warranty work orders.")
    async def inspect(
        self, plaza: FromPath[str], appointment_id: FromPath[str], data: Annotated[rules.InspectionCreate, INSPECTION],
        runtime: Runtime, idempotency_key: str | None = IdempotencyKey, actor: str = ACTOR,
    ) -> movein.InspectionView:
        return await _write(runtime, plaza, movein.record_inspection, appointment_id, data, actor=actor, idempotency_key=idempotency_key)

    @get("/inspections/{inspection_id:str}", summary="查看验房 / Show an inspection",
         description="一次验房及其缺陷，按验房员列出的顺序。\n\nOne inspection with its defects, in the order the inspector listed them.")
    async def inspection(self, plaza: FromPath[str], inspection_id: FromPath[str], runtime: Runtime) -> movein.InspectionView:
        async with runtime.read() as conn:
            view = await movein.inspection_of(conn, plaza, inspection_id)
        if view is None:
            raise NotFound(f"handover inspection {inspection_id!r} not found in plaza {plaza!r}", field="id")
        return view


class RenovationController(Controller):
    path = "/v1/plazas/{plaza:str}/renovations"

    @post("/", status_code=201, summary="申请装修 / Apply for a renovation permit",
          description="单元的装修申请：施工方、工人、工期（开始不早于广场时区的今天）、押金；一个单元同时只有一个未结束的申请。\n\n"
          "A unit's renovation application: contractor, workers, dates (starting today or later where "
          "the plaza is) and deposit; a unit has one open permit at a time.")
    async def apply(
        self, plaza: FromPath[str], data: Annotated[rules.RenovationCreate, RENOVATION], runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = ACTOR,
    ) -> movein.RenovationView:
        return await _write(runtime, plaza, movein.apply_renovation, data, actor=actor, idempotency_key=idempotency_key)

    @get("/", summary="装修许可列表 / List the renovation permits",
         description="可按单元、状态筛选，分页。\n\nFiltered by unit and status, a page at a time.")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, unit: str | None = None,
        status: rules.RenovationStatus | None = None, cursor: str | None = Cursor, limit: int = Limit,
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.listing(conn, tables.renovations, plaza, after=cursor, limit=limit, unit=unit, status=status)
        return page([movein.renovation_view(r) for r in rows], limit)

    @get("/{renovation_id:str}", summary="查看装修许可 / Show a renovation permit",
         description="许可及其每一步（谁、何时、备注）。\n\nThe permit with every step it took: who, when, and their note.")
    async def show(self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime) -> movein.RenovationView:
        async with runtime.read() as conn:
            row = await store.get(conn, tables.renovations, plaza, renovation_id)
        if row is None:
            raise NotFound(f"renovation {renovation_id!r} not found in plaza {plaza!r}", field="id")
        return movein.renovation_view(row)

    @post("/{renovation_id:str}/review", status_code=200, summary="审核装修申请 / Review the application",
          description="通过或驳回刚提交的申请。\n\nApproves or rejects an application just made.")
    async def review(
        self, plaza: FromPath[str], renovation_id: FromPath[str], data: Annotated[rules.ReviewBody, REVIEW],
        runtime: Runtime, idempotency_key: str | None = IdempotencyKey, actor: str = ACTOR,
    ) -> movein.RenovationView:
        return await _write(runtime, plaza, movein.review_renovation, renovation_id, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/approve", status_code=200, summary="批准装修 / Approve the permit",
          description="审核通过后发证；发出 RenovationApproved，收费据此收押金。\n\n"
          "Issues the permit after review; announces RenovationApproved, on which billing holds the deposit.")
    async def approve(
        self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime,
        data: Annotated[rules.StepBody | None, STEP] = None, idempotency_key: str | None = IdempotencyKey,
        actor: str = ACTOR,
    ) -> movein.RenovationView:
        body = data or rules.StepBody()
        return await _write(runtime, plaza, movein.approve_renovation, renovation_id, body, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/final-inspection", status_code=200, summary="装修验收 / Final inspection",
          description="验收通过或需整改（可再验）；可从押金中扣款（须说明原因，不超过押金）。\n\n"
          "Passed, or rectification required (inspect again later); a deduction from the deposit needs "
          "its reason and cannot exceed the deposit.")
    async def final_inspection(
        self, plaza: FromPath[str], renovation_id: FromPath[str], data: Annotated[rules.FinalInspectionBody, FINAL],
        runtime: Runtime, idempotency_key: str | None = IdempotencyKey, actor: str = ACTOR,
    ) -> movein.RenovationView:
        return await _write(runtime, plaza, movein.record_final_inspection, renovation_id, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/close", status_code=200, summary="结束装修 / Close the permit",
          description="验收通过后结束；发出 RenovationClosed，收费据此退押金（扣除扣款）。\n\n"
          "Closes the permit after it passed; announces RenovationClosed, on which billing refunds the "
          "deposit less any deduction.")
    async def close(
        self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime,
        data: Annotated[rules.StepBody | None, STEP] = None, idempotency_key: str | None = IdempotencyKey,
        actor: str = ACTOR,
    ) -> movein.RenovationView:
        body = data or rules.StepBody()
        return await _write(runtime, plaza, movein.close_renovation, renovation_id, body, actor=actor, idempotency_key=idempotency_key)
