"""What archive keeps of other services' events, live and on a replay: every event about a
unit on its timeline, renovation permits, and the defects still waiting for their warranty
work order to close. A replay (``rebuild_projections``) clears these and refiles every
event from the streams; the live path and the replay share every function below, so both
give the same result."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from libs.contracts import Event
from libs.contracts.events import (
    DocumentAttached,
    HandoverInspected,
    RenovationApproved,
    RenovationClosed,
    UnitRegistered,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
)
from libs.runtime.outbox import Tx
from services.archive import domain, services, store
from services.archive import store_projections as projections

REPLAY_CHUNK = 500


class RebuildReport(msgspec.Struct, kw_only=True):
    plaza_id: str | None
    events: int
    filed: int


async def apply_event(tx: Tx, event: Event) -> None:
    """A bus delivery from another service: file it, then update the projections."""
    await services.record_event(tx, event)
    await project(tx, event)


async def project(tx: Tx, event: Event) -> None:
    conn, at = tx.conn, event.occurred_at
    if isinstance(event, HandoverInspected):
        await projections.add_defects(conn, [_defect(event, d) for d in event.defects])
    elif isinstance(event, RenovationApproved):
        await projections.upsert_permit(conn, event.plaza_id, event.permit_id, event.unit, {
            "status": "approved", "valid_from": event.valid_from, "valid_until": event.valid_until,
            "deposit_fen": event.deposit_fen, "approved_at": at})
    elif isinstance(event, RenovationClosed):
        await projections.upsert_permit(conn, event.plaza_id, event.permit_id, event.unit, {
            "status": "closed", "deduction_fen": event.deduction_fen, "closed_at": at})
        await projections.close_permit(conn, event.plaza_id, event.permit_id)
    elif isinstance(event, WorkOrderCreated) and event.warranty:
        await projections.mark_defect_work(conn, event.plaza_id, event.work_order_id, event.request_id,
                                           closed=None, step=0, at=at)
    elif isinstance(event, (WorkOrderClosed, WorkOrderReopened)):
        # Only a warranty order's request id is a defect id: ordinary work orders (nearly
        # all of them) leave no row behind.
        if not await projections.is_defect(conn, event.plaza_id, event.request_id):
            return
        closed = isinstance(event, WorkOrderClosed)
        await projections.mark_defect_work(conn, event.plaza_id, event.work_order_id, event.request_id, closed=closed,
                                           step=domain.work_order_step(event.reopen_count, closed), at=at)


def _defect(e: HandoverInspected, d) -> dict:
    return {"plaza_id": e.plaza_id, "defect_id": d.defect_id, "unit": e.unit, "inspection_id": e.inspection_id,
            "description": d.description, "location": d.location, "responsible_party": d.responsible_party,
            "department": d.department, "found_at": e.occurred_at}


async def rebuild_projections(tx: Tx, plaza_id: str | None, events: Iterable[Event]) -> RebuildReport:
    """Clear the projections (of one plaza, or all) and refile ``events`` — every stream
    from the start, archive's own included, each stream in its own order."""
    await projections.clear_projections(tx.conn, plaza_id)
    last_facts: dict[tuple[str, str], dict] = {}
    rows, count, filed = [], 0, 0
    for event in events:
        if plaza_id is not None and event.plaza_id != plaza_id:
            continue
        count += 1
        if event.unit_id:
            rows.append(services.timeline_row(event, _summary(event, last_facts)))
        if not isinstance(event, (UnitRegistered, DocumentAttached)):
            await project(tx, event)
        if len(rows) >= REPLAY_CHUNK:
            filed += await _file(tx, rows)
    filed += await _file(tx, rows)
    return RebuildReport(plaza_id=plaza_id, events=count, filed=filed)


async def _file(tx: Tx, rows: list[dict]) -> int:
    n = len(rows)
    await store.add_timeline_entries(tx.conn, rows)
    rows.clear()
    return n


def _summary(event: Event, last_facts: dict) -> str:
    """The live path summarises a unit's revision by what changed since the one before;
    the replay knows the one before from the stream it is reading."""
    if not isinstance(event, UnitRegistered):
        return domain.summarize(event)
    key = (event.plaza_id, event.unit)
    after = domain.facts_of_event(event)
    before, last_facts[key] = last_facts.get(key), after
    return domain.summarize_unit_registered(event, domain.diff(before, after) if before else None)
