"""Move-in season's use cases: handovers (交房/收楼: capacity, appointments, inspections with
defects) and renovation permits (装修手续: apply → review → approve → final inspection →
close; the state machine is in the domain, and each step records who, when and why on the
permit's history). One function, one transaction, events to the outbox; every POST is
idempotent under its own scope."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import Contact, Defect, HandoverInspected, RenovationApproved, RenovationClosed, Worker
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.intake import facts, tables
from services.intake.movein import domain as rules
from services.intake.movein import store
from services.intake.requests import services as requests

CAPACITY = "handover-capacity"


def now() -> dt.datetime:
    """The clock; tests swap it to book "today" without waiting for a date."""
    return utcnow()


async def plaza_today(conn, plaza_id: str) -> dt.date:
    """Today where the plaza is: at 07:00 on the 2nd in Shanghai it is still the 1st in UTC."""
    return rules.local_day(now(), await facts.plaza_zone(conn, plaza_id))


@contextmanager
def refusals():
    """Domain refusals as HTTP problems: a wrong state is 409, anything else 422."""
    try:
        yield
    except rules.TransitionRefused as exc:
        raise Conflict(exc.detail, field=exc.field) from exc
    except rules.Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc


# ---- handover capacity ---------------------------------------------------------------

class CapacityView(rules.Capacity, frozen=True, kw_only=True):
    source: str = "default"
    updated_by: str | None = None
    updated_at: str | None = None


async def capacity_of(conn, plaza_id: str) -> tuple[rules.Capacity, requests.Provenance]:
    return await requests.rules_document(conn, plaza_id, CAPACITY, rules.Capacity, rules.Capacity())


async def set_capacity(tx: Tx, plaza_id: str, capacity: rules.Capacity, *, actor: str) -> CapacityView:
    with refusals():
        rules.check_capacity(capacity)
    provenance = await requests.set_rules(tx, plaza_id, CAPACITY, capacity, actor=actor)
    return CapacityView(**msgspec.structs.asdict(capacity), **msgspec.structs.asdict(provenance))


# ---- handover appointments and inspections -------------------------------------------

class InspectionView(msgspec.Struct, kw_only=True):
    id: str
    appointment_id: str
    unit: str
    accepted: bool
    inspector: str
    inspected_at: str
    defects: list[Defect]


class AppointmentView(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    date: dt.date
    contact: Contact | None
    note: str | None
    status: str
    booked_by: str
    booked_at: str
    cancel_reason: str | None = None
    inspection_id: str | None = None


def appointment_view(row) -> AppointmentView:
    contact = Contact(name=row["contact_name"], phone=row["contact_phone"]) if row["contact_name"] or row["contact_phone"] else None
    return AppointmentView(
        id=row["id"], unit=row["unit"], date=row["day"], contact=contact, note=row["note"],
        status=row["status"], booked_by=row["booked_by"], booked_at=iso(row["booked_at"]),
        cancel_reason=row["cancel_reason"], inspection_id=row["inspection_id"],
    )


def inspection_view(row, defects) -> InspectionView:
    return InspectionView(
        id=row["id"], appointment_id=row["appointment_id"], unit=row["unit"], accepted=row["accepted"],
        inspector=row["inspector"], inspected_at=iso(row["inspected_at"]),
        defects=[_defect(d) for d in defects],
    )


def _defect(row) -> Defect:
    return Defect(
        defect_id=row["defect_id"], description=row["description"], location=row["location"],
        responsible_party=row["responsible_party"], department=row["department"],
    )


async def book_handover(tx: Tx, plaza_id: str, body: rules.AppointmentCreate, *, actor: str, idempotency_key: str | None) -> AppointmentView:
    # The unit is held before anything is read, the Idempotency-Key included: of two
    # bookings at once, the second then finds the first's appointment (409, as it would a
    # moment later) or, sent with the same key, the first's stored answer.
    await store.lock_unit(tx.conn, plaza_id, body.unit)

    async def run() -> AppointmentView:
        await facts.require_unit(tx.conn, plaza_id, body.unit)
        today = await plaza_today(tx.conn, plaza_id)
        with refusals():
            rules.check_booking(body.date, today)
        booked = await store.active_appointment(tx.conn, plaza_id, body.unit)
        if booked is not None:
            raise Conflict(f"unit {body.unit!r} already has a handover appointment on {booked['day'].isoformat()} ({booked['id']}); cancel it first", field="unit")
        capacity, _ = await capacity_of(tx.conn, plaza_id)
        limit = capacity.on(body.date)
        if not await store.book_slot(tx.conn, plaza_id, body.date, limit):
            with refusals():
                raise rules.day_full(body.date, limit)
        row = _appointment_row(plaza_id, body, actor)
        await store.add(tx.conn, tables.handover_appointments, row)
        return appointment_view(row)

    return await requests.once(tx, plaza_id, "handover/appointments", idempotency_key, body, AppointmentView, run)


def _appointment_row(plaza_id: str, body: rules.AppointmentCreate, actor: str) -> dict:
    return {
        "id": new_event_id(), "plaza_id": plaza_id, "unit": body.unit, "day": body.date,
        "contact_name": body.contact.name if body.contact else None,
        "contact_phone": body.contact.phone if body.contact else None,
        "note": body.note, "status": "booked", "booked_by": actor, "booked_at": now(),
        "cancel_reason": None, "inspection_id": None,
    }


async def _appointment(tx: Tx, plaza_id: str, appointment_id: str):
    row = await store.get(tx.conn, tables.handover_appointments, plaza_id, appointment_id, lock=True)
    if row is None:
        raise NotFound(f"handover appointment {appointment_id!r} not found in plaza {plaza_id!r}", field="id")
    return row


async def cancel_handover(tx: Tx, plaza_id: str, appointment_id: str, body: rules.CancelBody, *, actor: str, idempotency_key: str | None) -> AppointmentView:
    async def run() -> AppointmentView:
        row = await _appointment(tx, plaza_id, appointment_id)
        with refusals():
            rules.can_cancel(row["status"])
        await store.update(tx.conn, tables.handover_appointments, plaza_id, appointment_id, status="cancelled", cancel_reason=body.reason)
        await store.free_slot(tx.conn, plaza_id, row["day"])
        return appointment_view({**row, "status": "cancelled", "cancel_reason": body.reason})

    return await requests.once(tx, plaza_id, f"handover/appointments/{appointment_id}/cancel", idempotency_key, body, AppointmentView, run, status=200)


async def record_inspection(tx: Tx, plaza_id: str, appointment_id: str, body: rules.InspectionCreate, *, actor: str, idempotency_key: str | None) -> InspectionView:
    async def run() -> InspectionView:
        row = await _appointment(tx, plaza_id, appointment_id)
        with refusals():
            rules.can_inspect(row["status"])
            rules.check_defects(body.defects)
        inspection = {
            "id": new_event_id(), "plaza_id": plaza_id, "appointment_id": appointment_id, "unit": row["unit"],
            "accepted": body.accepted, "inspector": body.inspector or actor, "inspected_at": now(),
        }
        defects = [_defect_row(inspection, i, d) for i, d in enumerate(body.defects)]
        await store.add(tx.conn, tables.handover_inspections, inspection)
        await store.add(tx.conn, tables.handover_defects, defects)
        await store.update(tx.conn, tables.handover_appointments, plaza_id, appointment_id, status="inspected", inspection_id=inspection["id"])
        view = inspection_view(inspection, defects)
        await tx.emit(HandoverInspected(
            plaza_id=plaza_id, occurred_at=inspection["inspected_at"], correlation_id=appointment_id, actor=actor,
            unit=row["unit"], inspection_id=view.id, appointment_id=appointment_id, accepted=body.accepted,
            defects=view.defects, inspector=view.inspector,
        ))
        return view

    scope = f"handover/appointments/{appointment_id}/inspection"
    return await requests.once(tx, plaza_id, scope, idempotency_key, body, InspectionView, run)


def _defect_row(inspection: dict, position: int, d: rules.DefectCreate) -> dict:
    return {
        "defect_id": new_event_id(), "plaza_id": inspection["plaza_id"], "inspection_id": inspection["id"],
        "position": position, "unit": inspection["unit"], "description": d.description,
        "location": d.location, "responsible_party": d.responsible_party, "department": d.department,
    }


async def inspection_of(conn, plaza_id: str, inspection_id: str) -> InspectionView | None:
    row = await store.get(conn, tables.handover_inspections, plaza_id, inspection_id)
    if row is None:
        return None
    return inspection_view(row, await store.defects_of(conn, plaza_id, inspection_id))


# ---- renovation permits ---------------------------------------------------------------

class Step(msgspec.Struct, kw_only=True):
    step: str
    status: str
    by: str
    at: str
    note: str | None = None


class RenovationView(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    contractor: str
    workers: list[Worker]
    start: dt.date
    end: dt.date
    deposit_fen: int
    description: str
    status: str
    deduction_fen: int
    deduction_reason: str | None
    applied_at: str
    updated_at: str
    history: list[Step]


def renovation_view(row) -> RenovationView:
    return RenovationView(
        id=row["id"], unit=row["unit"], contractor=row["contractor"],
        workers=msgspec.json.decode(row["workers"], type=list[Worker]), start=row["start"], end=row["end"],
        deposit_fen=row["deposit_fen"], description=row["description"], status=row["status"],
        deduction_fen=row["deduction_fen"], deduction_reason=row["deduction_reason"],
        applied_at=iso(row["applied_at"]), updated_at=iso(row["updated_at"]),
        history=msgspec.json.decode(row["history"], type=list[Step]),
    )


def _history(steps: list[Step]) -> bytes:
    return msgspec.json.encode(steps)


async def apply_renovation(tx: Tx, plaza_id: str, body: rules.RenovationCreate, *, actor: str, idempotency_key: str | None) -> RenovationView:
    # The unit is held before anything is read, the Idempotency-Key included (as for a
    # handover booking): of two applications at once, the second then finds the first's
    # permit open (409) or, sent with the same key, the first's stored answer.
    await store.lock_unit(tx.conn, plaza_id, body.unit)

    async def run() -> RenovationView:
        await facts.require_unit(tx.conn, plaza_id, body.unit)
        today = await plaza_today(tx.conn, plaza_id)
        open_ = await store.renovation_in(tx.conn, plaza_id, body.unit, rules.OPEN_RENOVATION)
        with refusals():
            rules.check_application(body.start, body.end, body.deposit_fen, body.contractor, today=today)
            if open_ is not None:
                raise rules.already_open(body.unit, open_["id"], open_["status"])
        at = now()
        row = {
            "id": new_event_id(), "plaza_id": plaza_id, "unit": body.unit, "contractor": body.contractor,
            "workers": msgspec.json.encode(body.workers), "start": body.start, "end": body.end,
            "deposit_fen": body.deposit_fen, "description": body.description, "status": "applied",
            "deduction_fen": 0, "deduction_reason": None, "applied_at": at, "updated_at": at,
            "history": _history([Step(step="apply", status="applied", by=actor, at=iso(at))]),
        }
        await store.add(tx.conn, tables.renovations, row)
        return renovation_view(row)

    return await requests.once(tx, plaza_id, "renovations", idempotency_key, body, RenovationView, run)


async def _step(tx: Tx, plaza_id: str, renovation_id: str, step: str, actor: str, note: str | None, **values) -> dict:
    """Move the permit one step on; refused (409) naming its status if it cannot."""
    row = await store.get(tx.conn, tables.renovations, plaza_id, renovation_id, lock=True)
    if row is None:
        raise NotFound(f"renovation {renovation_id!r} not found in plaza {plaza_id!r}", field="id")
    with refusals():
        status = rules.next_status(row["status"], step)
    at = now()
    history = msgspec.json.decode(row["history"], type=list[Step])
    history.append(Step(step=step, status=status, by=actor, at=iso(at), note=note))
    changes = {"status": status, "updated_at": at, "history": _history(history), **values}
    await store.update(tx.conn, tables.renovations, plaza_id, renovation_id, **changes)
    return {**row, **changes}


async def review_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: rules.ReviewBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        return renovation_view(await _step(tx, plaza_id, renovation_id, f"review:{body.decision}", actor, body.note))

    return await requests.once(tx, plaza_id, f"renovations/{renovation_id}/review", idempotency_key, body, RenovationView, run, status=200)


async def approve_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: rules.StepBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        view = renovation_view(await _step(tx, plaza_id, renovation_id, "approve", actor, body.note))
        await tx.emit(RenovationApproved(
            plaza_id=plaza_id, correlation_id=renovation_id, actor=actor, unit=view.unit,
            permit_id=renovation_id, deposit_fen=view.deposit_fen, valid_from=view.start,
            valid_until=view.end, workers=view.workers,
        ))
        return view

    return await requests.once(tx, plaza_id, f"renovations/{renovation_id}/approve", idempotency_key, body, RenovationView, run, status=200)


async def record_final_inspection(
    tx: Tx, plaza_id: str, renovation_id: str, body: rules.FinalInspectionBody, *, actor: str, idempotency_key: str | None
) -> RenovationView:
    async def run() -> RenovationView:
        row = await store.get(tx.conn, tables.renovations, plaza_id, renovation_id)
        if row is not None:
            with refusals():
                rules.check_deduction(body.deduction_fen, body.deduction_reason, row["deposit_fen"])
        step = "final_inspection:passed" if body.passed else "final_inspection:failed"
        return renovation_view(await _step(
            tx, plaza_id, renovation_id, step, actor, body.note,
            deduction_fen=body.deduction_fen, deduction_reason=body.deduction_reason,
        ))

    scope = f"renovations/{renovation_id}/final-inspection"
    return await requests.once(tx, plaza_id, scope, idempotency_key, body, RenovationView, run, status=200)


async def close_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: rules.StepBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        view = renovation_view(await _step(tx, plaza_id, renovation_id, "close", actor, body.note))
        await tx.emit(RenovationClosed(
            plaza_id=plaza_id, correlation_id=renovation_id, actor=actor, unit=view.unit,
            permit_id=renovation_id, deduction_fen=view.deduction_fen, deduction_reason=view.deduction_reason,
        ))
        return view

    return await requests.once(tx, plaza_id, f"renovations/{renovation_id}/close", idempotency_key, body, RenovationView, run, status=200)
