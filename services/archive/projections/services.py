"""What archive keeps of other services' events, live and on a replay: every event about a
unit on its timeline, renovation permits, and the defects still waiting for their warranty
work order to close. A replay (``rebuild_projections``) clears these and refiles every
event from the streams; the live path and the replay share every function below (both
apply events a batch at a time), so both give the same result."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import msgspec

from libs.contracts import Event
from libs.contracts.events import UnitRegistered
from libs.runtime import logging as log
from libs.runtime import replica
from libs.runtime.uow import Tx
from services.archive import tables
from services.archive.projections import domain, store
from services.archive.projections.domain import Key
from services.archive.register import domain as register_rules
from services.archive.timeline import domain as timeline_rules
from services.archive.timeline import services as timeline

logger = log.get("archive.projections")

REPLAY_CHUNK = 500
# A permit inserted by a closing has no approval yet, and the other way round.
NO_APPROVAL = {"valid_from": None, "valid_until": None, "deposit_fen": None, "approved_at": None}
NO_CLOSING = {"deduction_fen": None, "closed_at": None}


class RebuildReport(msgspec.Struct, kw_only=True):
    plaza_id: str | None
    events: int
    filed: int


async def require_known_facts(tx: Tx, events: list[Event]) -> None:
    """An event about a plaza or unit archive has not registered is kept nowhere
    (UnknownFact: the consumer waits a while, then dead-letters it)."""
    await replica.require_known(tx.conn, tables.plazas, tables.units, events)


async def apply_events(tx: Tx, events: list[Event], summarize: Callable[[Event], str] = timeline_rules.summarize) -> int:
    """A batch of bus deliveries (or of a replay), in stream order: file them, then update
    the projections. Returns how many went on a unit's timeline."""
    filed = await timeline.record_events(tx, events, summarize)
    await project(tx, events)
    return filed


async def project(tx: Tx, events: list[Event]) -> None:
    """One query for the defects and warranty orders the batch's closings refer to, then
    one write per table."""
    conn = tx.conn
    known, orders = await store.existing_defects_and_work(
        conn, domain.defects_asked(events), domain.work_orders_asked(events))
    plan = domain.plan(events, known, orders)
    await store.add_defects(conn, list(plan.defects.values()))
    await _save_permits(conn, plan.permits)
    await _save_work_orders(conn, plan.work_orders)


async def _save_permits(conn, permits: dict[Key, domain.PermitPlan]) -> None:
    if not permits:
        return
    new = await store.add_permits(conn, [
        {"plaza_id": plaza, "permit_id": permit, "unit": p.unit, "status": p.status,
         **(p.approval or NO_APPROVAL), **(p.closing or NO_CLOSING)}
        for (plaza, permit), p in permits.items()])
    stored = [({"k_plaza_id": plaza, "k_permit_id": permit}, p) for (plaza, permit), p in permits.items()
              if (plaza, permit) not in new]
    await store.update_permit_approvals(conn, [{**key, **p.approval} for key, p in stored if p.approval])
    await store.update_permit_closings(conn, [{**key, **p.closing} for key, p in stored if p.closing])


async def _save_work_orders(conn, orders: dict[Key, domain.WorkOrderPlan]) -> None:
    if not orders:
        return
    new = await store.add_defect_work(conn, [
        {"plaza_id": plaza, "work_order_id": wo, **msgspec.structs.asdict(o.if_new)}
        for (plaza, wo), o in orders.items()])
    await store.advance_defect_work(conn, [
        {"k_plaza_id": plaza, "k_work_order_id": wo, "new_closed": o.latest.closed, "new_step": o.latest.step,
         "new_changed_at": o.latest.changed_at}
        for (plaza, wo), o in orders.items() if o.latest is not None and (plaza, wo) not in new])


async def rebuild_projections(tx: Tx, plaza_id: str | None, events: Iterable[Event]) -> RebuildReport:
    """Clear the projections (of one plaza, or all) and refile ``events`` — every stream
    from the start, archive's own included, each stream in its own order."""
    await store.clear_projections(tx.conn, plaza_id)
    summarize = _replay_summaries()
    count, filed = 0, 0
    for chunk in _chunks((e for e in events if plaza_id is None or e.plaza_id == plaza_id), REPLAY_CHUNK):
        count += len(chunk)
        filed += await apply_events(tx, await _known_only(tx, chunk), summarize)
    return RebuildReport(plaza_id=plaza_id, events=count, filed=filed)


async def _known_only(tx: Tx, events: list[Event]) -> list[Event]:
    """The live consumer dead-lettered events about plazas or units archive never
    registered; the replay skips them the same way."""
    reasons = await replica.unknown_facts(tx.conn, tables.plazas, tables.units, events)
    for event, reason in zip(events, reasons):
        if reason is not None:
            logger.warning("replay_unknown_fact", event_id=event.id, event_type=type(event).__name__, reason=reason)
    return [e for e, reason in zip(events, reasons) if reason is None]


def _chunks(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    chunk: list[Event] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _replay_summaries() -> Callable[[Event], str]:
    """The live path summarises a unit's revision by what changed since the one before;
    the replay knows the one before from the stream it is reading (archive's own, first)."""
    last_facts: dict[tuple[str, str], dict] = {}

    def summarize(event: Event) -> str:
        if not isinstance(event, UnitRegistered):
            return timeline_rules.summarize(event)
        key = (event.plaza_id, event.unit)
        after = register_rules.facts_of_event(event)
        before, last_facts[key] = last_facts.get(key), after
        changed = [c.field for c in register_rules.diff(before, after)] if before else None
        return timeline_rules.summarize_unit_registered(event, changed)

    return summarize
