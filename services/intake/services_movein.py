"""Handover use cases (交房/收楼): capacity, appointments, inspections with defects.
One function, one transaction, events to the outbox; every POST is idempotent under its
own scope. (Renovation permits are in services_renovation.py.)"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import Contact, Defect, HandoverInspected
from libs.runtime import limits, replica
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.outbox import Tx
from services.intake import domain, store
from services.intake import domain_movein as rules
from services.intake import store_movein as movein
from services.intake.services import ContactIn, Provenance, once, require_unit, rules_document, set_rules

CAPACITY = "handover-capacity"


def now() -> dt.datetime:
    """The clock; tests swap it to book "today" without waiting for a date."""
    return utcnow()


async def plaza_today(conn, plaza_id: str) -> dt.date:
    """Today where the plaza is: at 07:00 on the 2nd in Shanghai it is still the 1st in UTC."""
    return rules.local_day(now(), await replica.plaza_zone_of(conn, store.plazas, plaza_id))


@contextmanager
def refusals():
    """Domain refusals as HTTP problems: a wrong state is 409, anything else 422."""
    try:
        yield
    except rules.TransitionRefused as exc:
        raise Conflict(exc.detail, field=exc.field) from exc
    except domain.Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc


# ---- handover capacity ---------------------------------------------------------------

class CapacityView(rules.Capacity, frozen=True, kw_only=True):
    source: str = "default"
    updated_by: str | None = None
    updated_at: str | None = None


async def capacity_of(conn, plaza_id: str) -> tuple[rules.Capacity, Provenance]:
    return await rules_document(conn, plaza_id, CAPACITY, rules.Capacity, rules.Capacity())


async def set_capacity(tx: Tx, plaza_id: str, capacity: rules.Capacity, *, actor: str) -> None:
    with refusals():
        rules.check_capacity(capacity)
    await set_rules(tx, plaza_id, CAPACITY, capacity, actor=actor)


# ---- handover appointments and inspections -------------------------------------------

class AppointmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    date: dt.date
    contact: ContactIn | None = None
    note: limits.Note | None = None


class CancelBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note | None = None


class DefectCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: limits.Text
    responsible_party: limits.Name
    location: limits.Name | None = None
    department: limits.Name = "engineering"


class InspectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    accepted: bool
    defects: limits.items(DefectCreate, limits.DEFECTS_MAX) = []
    inspector: limits.Name | None = None


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


async def book_handover(tx: Tx, plaza_id: str, body: AppointmentCreate, *, actor: str, idempotency_key: str | None) -> AppointmentView:
    # The unit is held before anything is read, the Idempotency-Key included: of two
    # bookings at once, the second then finds the first's appointment (409, as it would a
    # moment later) or, sent with the same key, the first's stored answer.
    await movein.lock_unit(tx.conn, plaza_id, body.unit)

    async def run() -> AppointmentView:
        await require_unit(tx.conn, plaza_id, body.unit)
        today = await plaza_today(tx.conn, plaza_id)
        with refusals():
            rules.check_booking(body.date, today)
        booked = await movein.active_appointment(tx.conn, plaza_id, body.unit)
        if booked is not None:
            raise Conflict(f"unit {body.unit!r} already has a handover appointment on {booked['day'].isoformat()} ({booked['id']}); cancel it first", field="unit")
        capacity, _ = await capacity_of(tx.conn, plaza_id)
        limit = capacity.on(body.date)
        if not await movein.book_slot(tx.conn, plaza_id, body.date, limit):
            with refusals():
                raise rules.day_full(body.date, limit)
        row = _appointment_row(plaza_id, body, actor)
        await movein.add(tx.conn, movein.handover_appointments, row)
        return appointment_view(row)

    return await once(tx, plaza_id, "handover/appointments", idempotency_key, body, AppointmentView, run)


def _appointment_row(plaza_id: str, body: AppointmentCreate, actor: str) -> dict:
    return {
        "id": new_event_id(), "plaza_id": plaza_id, "unit": body.unit, "day": body.date,
        "contact_name": body.contact.name if body.contact else None,
        "contact_phone": body.contact.phone if body.contact else None,
        "note": body.note, "status": "booked", "booked_by": actor, "booked_at": now(),
        "cancel_reason": None, "inspection_id": None,
    }


async def _appointment(tx: Tx, plaza_id: str, appointment_id: str):
    row = await movein.get(tx.conn, movein.handover_appointments, plaza_id, appointment_id, lock=True)
    if row is None:
        raise NotFound(f"handover appointment {appointment_id!r} not found in plaza {plaza_id!r}", field="id")
    return row


async def cancel_handover(tx: Tx, plaza_id: str, appointment_id: str, body: CancelBody, *, actor: str, idempotency_key: str | None) -> AppointmentView:
    async def run() -> AppointmentView:
        row = await _appointment(tx, plaza_id, appointment_id)
        with refusals():
            rules.can_cancel(row["status"])
        await movein.update(tx.conn, movein.handover_appointments, plaza_id, appointment_id, status="cancelled", cancel_reason=body.reason)
        await movein.free_slot(tx.conn, plaza_id, row["day"])
        return appointment_view({**row, "status": "cancelled", "cancel_reason": body.reason})

    return await once(tx, plaza_id, f"handover/appointments/{appointment_id}/cancel", idempotency_key, body, AppointmentView, run, status=200)


async def record_inspection(tx: Tx, plaza_id: str, appointment_id: str, body: InspectionCreate, *, actor: str, idempotency_key: str | None) -> InspectionView:
    async def run() -> InspectionView:
        row = await _appointment(tx, plaza_id, appointment_id)
        with refusals():
            rules.can_inspect(row["status"])
            _check_defects(body.defects)
        inspection = {
            "id": new_event_id(), "plaza_id": plaza_id, "appointment_id": appointment_id, "unit": row["unit"],
            "accepted": body.accepted, "inspector": body.inspector or actor, "inspected_at": now(),
        }
        defects = [_defect_row(inspection, i, d) for i, d in enumerate(body.defects)]
        await movein.add(tx.conn, movein.handover_inspections, inspection)
        await movein.add(tx.conn, movein.handover_defects, defects)
        await movein.update(tx.conn, movein.handover_appointments, plaza_id, appointment_id, status="inspected", inspection_id=inspection["id"])
        view = inspection_view(inspection, defects)
        await tx.emit(HandoverInspected(
            plaza_id=plaza_id, occurred_at=inspection["inspected_at"], correlation_id=appointment_id, actor=actor,
            unit=row["unit"], inspection_id=view.id, appointment_id=appointment_id, accepted=body.accepted,
            defects=view.defects, inspector=view.inspector,
        ))
        return view

    scope = f"handover/appointments/{appointment_id}/inspection"
    return await once(tx, plaza_id, scope, idempotency_key, body, InspectionView, run)


def _check_defects(defects: list[DefectCreate]) -> None:
    for i, d in enumerate(defects):
        if not d.description.strip():
            raise domain.Refused("a defect needs its description", field=f"defects[{i}].description")
        if not d.responsible_party.strip():
            raise domain.Refused("a defect needs the party responsible for it under warranty", field=f"defects[{i}].responsible_party")
        domain.check_department(d.department, f"defects[{i}].department")


def _defect_row(inspection: dict, position: int, d: DefectCreate) -> dict:
    return {
        "defect_id": new_event_id(), "plaza_id": inspection["plaza_id"], "inspection_id": inspection["id"],
        "position": position, "unit": inspection["unit"], "description": d.description,
        "location": d.location, "responsible_party": d.responsible_party, "department": d.department,
    }


async def inspection_of(conn, plaza_id: str, inspection_id: str) -> InspectionView | None:
    row = await movein.get(conn, movein.handover_inspections, plaza_id, inspection_id)
    if row is None:
        return None
    return inspection_view(row, await movein.defects_of(conn, plaza_id, inspection_id))

