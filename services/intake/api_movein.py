"""Move-in season's HTTP API: handover appointments and inspections, renovation permits.
Routes only translate; every POST honours Idempotency-Key."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.intake import domain_movein as rules
from services.intake import services_movein as handover
from services.intake import services_renovation as renovation
from services.intake import store_movein as movein
from services.intake.api import page

IdempotencyKey = Parameter(header="Idempotency-Key", default=None)
Actor = Parameter(header="X-Actor", default="front-desk")
Cursor = Parameter(query="cursor", default=None)
Limit = Parameter(query="limit", default=50, ge=1, le=500)


class DayView(msgspec.Struct, kw_only=True):
    date: dt.date
    capacity: int
    booked: int
    remaining: int


class AppointmentDetail(handover.AppointmentView, kw_only=True):
    inspection: handover.InspectionView | None = None


async def _write(runtime: Runtime, plaza: str, use_case, *args, **kwargs):
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        return await use_case(tx, plaza, *args, **kwargs)


async def _capacity(runtime: Runtime, plaza: str) -> handover.CapacityView:
    async with runtime.read() as conn:
        capacity, provenance = await handover.capacity_of(conn, plaza)
    return handover.CapacityView(**msgspec.structs.asdict(capacity), **msgspec.structs.asdict(provenance))


class HandoverController(Controller):
    path = "/v1/plazas/{plaza:str}/handover"

    @get("/capacity")
    async def capacity(self, plaza: FromPath[str], runtime: Runtime) -> handover.CapacityView:
        return await _capacity(runtime, plaza)

    @put("/capacity")
    async def set_capacity(self, plaza: FromPath[str], data: rules.Capacity, runtime: Runtime, actor: str = Actor) -> handover.CapacityView:
        await _write(runtime, plaza, handover.set_capacity, data, actor=actor)
        return await _capacity(runtime, plaza)

    @get("/days/{day:date}")
    async def day(self, plaza: FromPath[str], day: FromPath[dt.date], runtime: Runtime) -> DayView:
        async with runtime.read() as conn:
            capacity, _ = await handover.capacity_of(conn, plaza)
            booked = await movein.booked_on(conn, plaza, day)
        limit = capacity.on(day)
        return DayView(date=day, capacity=limit, booked=booked, remaining=max(limit - booked, 0))

    @post("/appointments", status_code=201)
    async def book(
        self, plaza: FromPath[str], data: handover.AppointmentCreate, runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> handover.AppointmentView:
        return await _write(runtime, plaza, handover.book_handover, data, actor=actor, idempotency_key=idempotency_key)

    @get("/appointments")
    async def appointments(
        self, plaza: FromPath[str], runtime: Runtime, unit: str | None = None,
        date: dt.date | None = None, status: Literal["booked", "cancelled", "inspected"] | None = None,
        cursor: str | None = Cursor, limit: int = Limit,
    ) -> Page:
        async with runtime.read() as conn:
            rows = await movein.listing(
                conn, movein.handover_appointments, plaza, after=cursor, limit=limit, unit=unit, day=date, status=status
            )
        return page([handover.appointment_view(r) for r in rows], limit)

    @get("/appointments/{appointment_id:str}")
    async def appointment(self, plaza: FromPath[str], appointment_id: FromPath[str], runtime: Runtime) -> AppointmentDetail:
        async with runtime.read() as conn:
            row = await movein.get(conn, movein.handover_appointments, plaza, appointment_id)
            if row is None:
                raise NotFound(f"handover appointment {appointment_id!r} not found in plaza {plaza!r}", field="id")
            inspection = await handover.inspection_of(conn, plaza, row["inspection_id"]) if row["inspection_id"] else None
        view = handover.appointment_view(row)
        return AppointmentDetail(**msgspec.structs.asdict(view), inspection=inspection)

    @post("/appointments/{appointment_id:str}/cancel", status_code=200)
    async def cancel(
        self, plaza: FromPath[str], appointment_id: FromPath[str], runtime: Runtime,
        data: handover.CancelBody | None = None, idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> handover.AppointmentView:
        body = data or handover.CancelBody()
        return await _write(runtime, plaza, handover.cancel_handover, appointment_id, body, actor=actor, idempotency_key=idempotency_key)

    @post("/appointments/{appointment_id:str}/inspection", status_code=201)
    async def inspect(
        self, plaza: FromPath[str], appointment_id: FromPath[str], data: handover.InspectionCreate, runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> handover.InspectionView:
        return await _write(runtime, plaza, handover.record_inspection, appointment_id, data, actor=actor, idempotency_key=idempotency_key)

    @get("/inspections/{inspection_id:str}")
    async def inspection(self, plaza: FromPath[str], inspection_id: FromPath[str], runtime: Runtime) -> handover.InspectionView:
        async with runtime.read() as conn:
            view = await handover.inspection_of(conn, plaza, inspection_id)
        if view is None:
            raise NotFound(f"handover inspection {inspection_id!r} not found in plaza {plaza!r}", field="id")
        return view


class RenovationController(Controller):
    path = "/v1/plazas/{plaza:str}/renovations"

    @post("/", status_code=201)
    async def apply(
        self, plaza: FromPath[str], data: renovation.RenovationCreate, runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> renovation.RenovationView:
        return await _write(runtime, plaza, renovation.apply_renovation, data, actor=actor, idempotency_key=idempotency_key)

    @get("/")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, unit: str | None = None,
        status: rules.RenovationStatus | None = None, cursor: str | None = Cursor, limit: int = Limit,
    ) -> Page:
        async with runtime.read() as conn:
            rows = await movein.listing(conn, movein.renovations, plaza, after=cursor, limit=limit, unit=unit, status=status)
        return page([renovation.renovation_view(r) for r in rows], limit)

    @get("/{renovation_id:str}")
    async def show(self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime) -> renovation.RenovationView:
        async with runtime.read() as conn:
            row = await movein.get(conn, movein.renovations, plaza, renovation_id)
        if row is None:
            raise NotFound(f"renovation {renovation_id!r} not found in plaza {plaza!r}", field="id")
        return renovation.renovation_view(row)

    @post("/{renovation_id:str}/review", status_code=200)
    async def review(
        self, plaza: FromPath[str], renovation_id: FromPath[str], data: renovation.ReviewBody, runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> renovation.RenovationView:
        return await _write(runtime, plaza, renovation.review_renovation, renovation_id, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/approve", status_code=200)
    async def approve(
        self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime,
        data: renovation.StepBody | None = None, idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> renovation.RenovationView:
        body = data or renovation.StepBody()
        return await _write(runtime, plaza, renovation.approve_renovation, renovation_id, body, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/final-inspection", status_code=200)
    async def final_inspection(
        self, plaza: FromPath[str], renovation_id: FromPath[str], data: renovation.FinalInspectionBody, runtime: Runtime,
        idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> renovation.RenovationView:
        return await _write(runtime, plaza, renovation.record_final_inspection, renovation_id, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{renovation_id:str}/close", status_code=200)
    async def close(
        self, plaza: FromPath[str], renovation_id: FromPath[str], runtime: Runtime,
        data: renovation.StepBody | None = None, idempotency_key: str | None = IdempotencyKey, actor: str = Actor,
    ) -> renovation.RenovationView:
        body = data or renovation.StepBody()
        return await _write(runtime, plaza, renovation.close_renovation, renovation_id, body, actor=actor, idempotency_key=idempotency_key)
