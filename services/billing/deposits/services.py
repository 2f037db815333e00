"""Renovation deposits (装修押金): held on approval, refunded less any deduction on close.

Approval and closing may arrive in either order; the permit row remembers what is known
and settles once both are, and each ledger entry has a line id so it is posted once.
"""

from __future__ import annotations

import datetime as dt

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import DepositHeld, DepositRefunded, RenovationApproved, RenovationClosed
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.deposits import store
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import store as ledger_store


async def hold_deposit(tx: Tx, event: RenovationApproved) -> None:
    if event.deposit_fen < 0:
        raise InvalidInput(f"permit {event.permit_id!r} has a negative deposit", field="deposit_fen")
    await store.save_permit(tx.conn, event.plaza_id, event.permit_id,
                            {"unit": event.unit, "deposit_fen": event.deposit_fen})
    if event.deposit_fen:
        entry_id = await _post(tx, event, "held", "deposit_held", event.deposit_fen,
                               f"renovation deposit, permit {event.permit_id}")
        if entry_id:
            await tx.emit(DepositHeld(**_announced(event), entry_id=entry_id, amount_fen=event.deposit_fen))
    await _settle(tx, event)


async def release_deposit(tx: Tx, event: RenovationClosed) -> None:
    if event.deduction_fen < 0:
        raise InvalidInput(f"permit {event.permit_id!r} has a negative deduction", field="deduction_fen")
    await store.save_permit(tx.conn, event.plaza_id, event.permit_id, {
        "unit": event.unit, "closed": True, "deduction_fen": event.deduction_fen,
        "deduction_reason": event.deduction_reason})
    await _settle(tx, event)


async def _settle(tx: Tx, event) -> None:
    permit = await store.permit_of(tx.conn, event.plaza_id, event.permit_id)
    if permit.deposit_fen is None or not permit.closed:
        return
    deduction, held = permit.deduction_fen, permit.deposit_fen
    applied = min(deduction, held)
    reason = permit.deduction_reason or "renovation deduction"
    posted = []
    if deduction:
        # The deduction falls due on the plaza's day of the event that settled the permit.
        due = ledger_domain.local_date(event.occurred_at, await facts.plaza_zone(tx.conn, event.plaza_id))
        posted.append(await _post(tx, event, "deduction", "charge", deduction,
                                  f"{reason}, permit {event.permit_id}", due))
    if applied:
        posted.append(await _post(tx, event, "applied", "deposit_applied", applied, f"deposit kept for {reason}"))
    refund_id = None
    if held - applied:
        refund_id = await _post(tx, event, "refund", "deposit_refund", held - applied,
                                f"renovation deposit refunded, permit {event.permit_id}")
        posted.append(refund_id)
    # The settlement's entries are posted together, once: announce it only when they are new,
    # also when the whole deposit was kept and nothing goes back, and when a permit without
    # a deposit is charged its deduction (else that charge reached no timeline); a permit
    # with neither settles without a word.
    if (held or deduction) and any(posted):
        await tx.emit(DepositRefunded(
            **_announced(event), entry_id=refund_id, amount_fen=held - applied, held_fen=held,
            deduction_fen=deduction, deduction_reason=permit.deduction_reason,
        ))


def _announced(event) -> dict:
    """What a deposit event carries of the renovation event that moved the money."""
    return dict(plaza_id=event.plaza_id, occurred_at=event.occurred_at, correlation_id=event.correlation_id,
                causation_id=event.id, actor=event.actor, unit=event.unit, permit_id=event.permit_id)


async def _post(tx: Tx, event, part: str, kind: str, amount: int, description: str,
                due_date: dt.date | None = None) -> str | None:
    """Post one entry of the permit once by its line id; its id if it was new, else None."""
    posting = ledger_domain.Posting(kind=kind, amount_fen=amount, description=description,
                             line_id=f"permit:{event.permit_id}:{part}", due_date=due_date)
    entry_id = new_event_id()
    new = await ledger_store.post_entry_once(tx.conn, ledger_store.entry_row(
        event.plaza_id, event.unit, entry_id, posting, occurred_at=event.occurred_at,
        recorded_at=utcnow(), causation_id=event.id, actor=event.actor,
    ))
    return entry_id if new else None
