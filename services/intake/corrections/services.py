"""Correcting a request after it was received: one use case, one transaction: intake's
read model, the history entry and the RequestReclassified event (for dispatch, billing,
reports) commit together."""

from __future__ import annotations

import msgspec

from libs.contracts import utcnow
from libs.contracts.events import RequestReclassified
from libs.runtime import limits
from libs.runtime.errors import InvalidInput
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.intake.corrections import domain, store
from services.intake.requests import services as requests
from services.intake.requests.domain import CLERK, Kind, Refused, Severity, grade


class RequestReclassify(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: limits.Note
    kind: Kind | None = None
    severity: Severity | None = None
    department: limits.Code | None = None
    serviceable: bool | None = None


class CorrectionView(msgspec.Struct, kw_only=True):
    at: str
    actor: str
    from_: dict = msgspec.field(name="from")
    to: dict
    reason: str


class Reclassified(msgspec.Struct, kw_only=True):
    """The request as it now stands, and the correction just made."""

    id: str
    kind: Kind
    severity: Severity | None
    major: bool
    serviceable: bool
    referral: str | None
    department: str | None
    status: str
    correction: CorrectionView


async def reclassify_request(
    tx: Tx, plaza_id: str, request_id: str, body: RequestReclassify, *, actor: str, idempotency_key: str | None = None,
) -> Reclassified:
    """With an Idempotency-Key a retry gets the first answer, not "changes nothing"."""

    async def run() -> Reclassified:
        return await _reclassify(tx, plaza_id, request_id, body, actor)

    scope = f"requests/{request_id}/reclassify"
    return await requests.once(tx, plaza_id, scope, idempotency_key, body, Reclassified, run, status=200)


async def _reclassify(tx: Tx, plaza_id: str, request_id: str, body: RequestReclassify, actor: str) -> Reclassified:
    if not body.reason.strip():
        raise InvalidInput("a correction needs its reason: it is kept on the request's history", field="reason")
    row = await requests.request_for_update(tx.conn, plaza_id, request_id)
    rules, directory = await requests.plaza_rules(tx.conn, plaza_id)
    current = domain.Classification(**{name: row[name] for name in domain.FIELDS})
    change = domain.Change(kind=body.kind, severity=body.severity, department=body.department, serviceable=body.serviceable)
    try:
        fixed = domain.correct(current, change, row["text"], praised=row["praised_department"], rules_=rules, directory=directory)
    except Refused as exc:
        raise requests.refused(exc) from exc
    now, at = fixed.now, utcnow()
    values = msgspec.structs.asdict(now) | {"status": requests.status_of(now.serviceable), "praised_department": fixed.praised_department}
    if body.department is not None:
        values["department_chosen"] = True
    if current.kind != now.kind:
        values["kind_reason"] = CLERK
    if current.severity != now.severity:  # the clerk's grade, or the text's once it became a complaint
        values["severity_reason"] = CLERK if body.severity else grade(row["text"], rules)[1] if now.severity else None
    await store.update_request(tx.conn, plaza_id, request_id, values)
    # The event names a department only when the desk chose one now: dispatch re-routes on
    # it, and intake's own proposal must not move a job the plaza's rules sent elsewhere.
    event = RequestReclassified(
        plaza_id=plaza_id, occurred_at=at, correlation_id=request_id, actor=actor, request_id=request_id,
        unit=row["unit"], area=row["area"], previous_kind=current.kind, reason=body.reason,
        **(msgspec.structs.asdict(now) | {"department": body.department}),
    )
    await store.add_correction(tx.conn, {
        "id": event.id, "plaza_id": plaza_id, "request_id": request_id, "at": at, "actor": actor,
        "before": msgspec.json.encode(fixed.before), "after": msgspec.json.encode(fixed.after), "reason": body.reason,
    })
    await tx.emit(event)
    correction = CorrectionView(at=iso(at), actor=actor, from_=fixed.before, to=fixed.after, reason=body.reason)
    return Reclassified(id=request_id, **msgspec.structs.asdict(now), status=values["status"], correction=correction)
