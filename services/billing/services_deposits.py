"""Renovation deposits (装修押金): held on approval, refunded less any deduction on close.

Approval and closing may arrive in either order; the permit row remembers what is known
and settles once both are, and each ledger entry has a line id so it is posted once.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import RenovationApproved, RenovationClosed
from libs.runtime.errors import InvalidInput
from libs.runtime.outbox import Tx
from services.billing import domain, store
from services.billing.store_more import one, permits, upsert


async def hold_deposit(tx: Tx, event: RenovationApproved) -> None:
    if event.deposit_fen < 0:
        raise InvalidInput(f"permit {event.permit_id!r} has a negative deposit", field="deposit_fen")
    await upsert(tx.conn, permits, _key(event), {"unit": event.unit, "deposit_fen": event.deposit_fen})
    if event.deposit_fen:
        await _post(tx, event, "held", "deposit_held", event.deposit_fen, f"renovation deposit, permit {event.permit_id}")
    await _settle(tx, event)


async def release_deposit(tx: Tx, event: RenovationClosed) -> None:
    if event.deduction_fen < 0:
        raise InvalidInput(f"permit {event.permit_id!r} has a negative deduction", field="deduction_fen")
    await upsert(tx.conn, permits, _key(event), {
        "unit": event.unit, "closed": True, "deduction_fen": event.deduction_fen,
        "deduction_reason": event.deduction_reason})
    await _settle(tx, event)


def _key(event) -> dict:
    return {"plaza_id": event.plaza_id, "permit_id": event.permit_id}


async def _settle(tx: Tx, event) -> None:
    permit = await one(tx.conn, sa.select(permits).where(
        permits.c.plaza_id == event.plaza_id, permits.c.permit_id == event.permit_id))
    if permit.deposit_fen is None or not permit.closed:
        return
    deduction, held = permit.deduction_fen, permit.deposit_fen
    applied = min(deduction, held)
    reason = permit.deduction_reason or "renovation deduction"
    if deduction:
        # The deduction falls due on the plaza's day of the event that settled the permit.
        due = domain.local_date(event.occurred_at, await store.plaza_zone(tx.conn, event.plaza_id))
        await _post(tx, event, "deduction", "charge", deduction, f"{reason}, permit {event.permit_id}", due)
    if applied:
        await _post(tx, event, "applied", "deposit_applied", applied, f"deposit kept for {reason}")
    if held - applied:
        await _post(tx, event, "refund", "deposit_refund", held - applied, f"renovation deposit refunded, permit {event.permit_id}")


async def _post(tx: Tx, event, part: str, kind: str, amount: int, description: str,
                due_date: dt.date | None = None) -> None:
    posting = domain.Posting(kind=kind, amount_fen=amount, description=description,
                             line_id=f"permit:{event.permit_id}:{part}", due_date=due_date)
    await store.post_entry_once(tx.conn, store.entry_row(
        event.plaza_id, event.unit, new_event_id(), posting, occurred_at=event.occurred_at,
        recorded_at=utcnow(), causation_id=event.id, actor=event.actor,
    ))
