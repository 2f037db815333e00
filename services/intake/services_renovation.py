"""Renovation permit use cases (装修手续): apply → review → approve → final inspection →
close. The state machine is domain_movein's; each step records who, when and why on the
permit's history, and every POST is idempotent under its own scope."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts import new_event_id
from libs.contracts.events import RenovationApproved, RenovationClosed, Worker
from libs.runtime import limits
from libs.runtime.errors import NotFound
from libs.runtime.http import iso
from libs.runtime.outbox import Tx
from services.intake import domain_movein as rules
from services.intake import store_movein as movein
from services.intake.services import once, require_unit
from services.intake.services_movein import now, plaza_today, refusals


class WorkerIn(Worker, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A worker as a request body takes it: the event's Worker, bounded."""

    name: limits.Name
    id_number: limits.Code | None = None
    phone: limits.Phone | None = None


class RenovationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    contractor: limits.Name
    start: dt.date
    end: dt.date
    deposit_fen: limits.Amount
    description: limits.Text
    workers: limits.items(WorkerIn, limits.WORKERS_MAX) = []


class ReviewBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    decision: Literal["approve", "reject"]
    note: limits.Note | None = None


class StepBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: limits.Note | None = None


class FinalInspectionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    passed: bool
    deduction_fen: limits.Amount = 0
    deduction_reason: limits.Note | None = None
    note: limits.Note | None = None


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


async def apply_renovation(tx: Tx, plaza_id: str, body: RenovationCreate, *, actor: str, idempotency_key: str | None) -> RenovationView:
    # The unit is held before anything is read, the Idempotency-Key included (as for a
    # handover booking): of two applications at once, the second then finds the first's
    # permit open (409) or, sent with the same key, the first's stored answer.
    await movein.lock_unit(tx.conn, plaza_id, body.unit)

    async def run() -> RenovationView:
        await require_unit(tx.conn, plaza_id, body.unit)
        today = await plaza_today(tx.conn, plaza_id)
        open_ = await movein.renovation_in(tx.conn, plaza_id, body.unit, rules.OPEN_RENOVATION)
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
        await movein.add(tx.conn, movein.renovations, row)
        return renovation_view(row)

    return await once(tx, plaza_id, "renovations", idempotency_key, body, RenovationView, run)


async def _step(tx: Tx, plaza_id: str, renovation_id: str, step: str, actor: str, note: str | None, **values) -> dict:
    """Move the permit one step on; refused (409) naming its status if it cannot."""
    row = await movein.get(tx.conn, movein.renovations, plaza_id, renovation_id, lock=True)
    if row is None:
        raise NotFound(f"renovation {renovation_id!r} not found in plaza {plaza_id!r}", field="id")
    with refusals():
        status = rules.next_status(row["status"], step)
    at = now()
    history = msgspec.json.decode(row["history"], type=list[Step])
    history.append(Step(step=step, status=status, by=actor, at=iso(at), note=note))
    changes = {"status": status, "updated_at": at, "history": _history(history), **values}
    await movein.update(tx.conn, movein.renovations, plaza_id, renovation_id, **changes)
    return {**row, **changes}


async def review_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: ReviewBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        return renovation_view(await _step(tx, plaza_id, renovation_id, f"review:{body.decision}", actor, body.note))

    return await once(tx, plaza_id, f"renovations/{renovation_id}/review", idempotency_key, body, RenovationView, run, status=200)


async def approve_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: StepBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        view = renovation_view(await _step(tx, plaza_id, renovation_id, "approve", actor, body.note))
        await tx.emit(RenovationApproved(
            plaza_id=plaza_id, correlation_id=renovation_id, actor=actor, unit=view.unit,
            permit_id=renovation_id, deposit_fen=view.deposit_fen, valid_from=view.start,
            valid_until=view.end, workers=view.workers,
        ))
        return view

    return await once(tx, plaza_id, f"renovations/{renovation_id}/approve", idempotency_key, body, RenovationView, run, status=200)


async def record_final_inspection(
    tx: Tx, plaza_id: str, renovation_id: str, body: FinalInspectionBody, *, actor: str, idempotency_key: str | None
) -> RenovationView:
    async def run() -> RenovationView:
        row = await movein.get(tx.conn, movein.renovations, plaza_id, renovation_id)
        if row is not None:
            with refusals():
                rules.check_deduction(body.deduction_fen, body.deduction_reason, row["deposit_fen"])
        step = "final_inspection:passed" if body.passed else "final_inspection:failed"
        return renovation_view(await _step(
            tx, plaza_id, renovation_id, step, actor, body.note,
            deduction_fen=body.deduction_fen, deduction_reason=body.deduction_reason,
        ))

    scope = f"renovations/{renovation_id}/final-inspection"
    return await once(tx, plaza_id, scope, idempotency_key, body, RenovationView, run, status=200)


async def close_renovation(tx: Tx, plaza_id: str, renovation_id: str, body: StepBody, *, actor: str, idempotency_key: str | None) -> RenovationView:
    async def run() -> RenovationView:
        view = renovation_view(await _step(tx, plaza_id, renovation_id, "close", actor, body.note))
        await tx.emit(RenovationClosed(
            plaza_id=plaza_id, correlation_id=renovation_id, actor=actor, unit=view.unit,
            permit_id=renovation_id, deduction_fen=view.deduction_fen, deduction_reason=view.deduction_reason,
        ))
        return view

    return await once(tx, plaza_id, f"renovations/{renovation_id}/close", idempotency_key, body, RenovationView, run, status=200)
