"""Stock use cases: the plaza's stock list, issuing to a work order (in the resolving
transaction), stocktaking adjustments (asked by one person, applied when a second approves);
StockLow when a level crosses its line."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from libs.contracts import new_event_id
from libs.contracts.events import StockLow
from libs.runtime import foureyes, limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.dispatch.stock import domain, store

SKU = re.compile(r"^[A-Za-z0-9_\-.]{1,64}$")


class StockItemUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.line(limits.NAME_MAX, min_length=1)
    unit_price_fen: limits.Fen
    quantity: limits.Quantity
    low_level: limits.Quantity = 0


class StockAdjustmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    delta: limits.Count  # counted fewer: negative; a level below zero is refused by the rules
    reason: limits.Note


class Who(msgspec.Struct, frozen=True, kw_only=True):
    actor: str
    command_id: str
    correlation_id: str


def check_sku(sku: str) -> str:
    if not SKU.match(sku):
        raise InvalidInput(f"sku {sku!r} must be 1-64 letters, digits, '-', '_' or '.'", field="sku")
    return sku


async def put_item(tx: Tx, plaza_id: str, sku: str, body: StockItemUpdate, who: Who, now: dt.datetime) -> dict:
    """Registers an item with its counted level (audited as 'set'), or changes an item's
    name, price or low line; its level it keeps (that is an adjustment). Returns the item."""
    check_sku(sku)
    current = await store.get_item(tx.conn, plaza_id, sku, lock=True)
    before = current["quantity"] if current else None
    if before is not None and body.quantity != before:
        # A level changed by hand is an adjustment, and adjustments take a second person.
        raise Conflict(f"sku {sku!r} has {before} on hand: change an item's level through "
                       f"POST …/stock/{sku}/adjustments, approved by a second person", field="quantity")
    values = {**msgspec.structs.asdict(body), "updated_at": now}
    await store.put_item(tx.conn, plaza_id, sku, values)
    delta = body.quantity - (before or 0)
    await _moved(tx, plaza_id, sku, "set", delta, body.quantity, who, now, reason="level set")
    # A new item counts as having come from "plenty": registering it already low announces it.
    if domain.became_low(before if before is not None else body.low_level + 1, body.quantity, body.low_level):
        await _low(tx, plaza_id, {**values, "sku": sku}, who, now)
    return {**values, "sku": sku}


async def request_adjustment(tx: Tx, plaza_id: str, sku: str, body: StockAdjustmentCreate, who: Who,
                             now: dt.datetime) -> dict:
    """A counted difference, pending until a second person approves it; checked now so the
    asker learns at once of a level it would take below zero (and again on approval)."""
    item = await _item(tx, plaza_id, sku, "sku")
    _adjusted(item, body.delta, body.reason)
    row = {"id": new_event_id(), "plaza_id": plaza_id, "sku": item["sku"], "delta": body.delta,
           "reason": body.reason.strip(), "status": "pending", "requested_by": who.actor, "requested_at": now,
           "decided_by": None, "decided_at": None}
    await store.add_adjustment(tx.conn, row)
    return row


async def decide_adjustment(tx: Tx, plaza_id: str, sku: str, adjustment_id: str, who: Who, now: dt.datetime, *,
                            approve: bool) -> tuple[dict, dict]:
    """Approve (the level changes, audited as an adjustment by the asker, approved by the
    caller; StockLow if it crosses the line) or reject. Returns (adjustment, item)."""
    item = await _item(tx, plaza_id, sku, "sku")
    adjustment = await store.get_adjustment(tx.conn, plaza_id, item["sku"], adjustment_id)
    if adjustment is None:
        raise NotFound(f"no adjustment {adjustment_id!r} of sku {sku!r}", field="adjustment_id")
    status = foureyes.decide(adjustment["status"], adjustment["requested_by"], who.actor, "this adjustment",
                             approve=approve)
    values = {"status": status, "decided_by": who.actor, "decided_at": now}
    if not await store.decide_adjustment(tx.conn, plaza_id, adjustment_id, values):
        raise Conflict("this adjustment was decided meanwhile; read it again", field="status")
    if approve:
        after = _adjusted(item, adjustment["delta"], adjustment["reason"])
        asker = msgspec.structs.replace(who, actor=adjustment["requested_by"])
        await _apply(tx, plaza_id, item, after, "adjustment", asker, now, reason=adjustment["reason"],
                     approved_by=who.actor, announced_by=who)
        item = {**item, "quantity": after}
    return {**adjustment, **values}, item


def _adjusted(item: dict, delta: int, reason: str) -> int:
    try:
        return domain.adjust(item["sku"], item["quantity"], delta, reason)
    except domain.StockRefused as exc:
        error = InvalidInput if exc.field == "reason" or delta == 0 else Conflict
        raise error(str(exc), field=exc.field) from exc


async def issue(tx: Tx, plaza_id: str, work_order_id: str, lines: list, who: Who, now: dt.datetime) -> list[domain.MaterialUse]:
    """Materials of a resolution: a line naming a sku is taken from stock (its name and
    price default to the stock item's); a line without one is bought in and priced as given."""
    used = []
    for i, line in enumerate(lines):
        if line.sku is None:
            used.append(_bought_in(line, i))
            continue
        item = await _item(tx, plaza_id, line.sku, f"materials[{i}].sku")
        try:
            after = domain.issue(line.sku, item["quantity"], line.quantity, f"materials[{i}].sku")
        except domain.StockRefused as exc:
            raise Conflict(str(exc), field=exc.field) from exc
        await _apply(tx, plaza_id, item, after, "issue", who, now, work_order_id=work_order_id)
        used.append(domain.MaterialUse(
            name=line.name or item["name"], quantity=line.quantity,
            unit_price_fen=item["unit_price_fen"] if line.unit_price_fen is None else line.unit_price_fen,
        ))
    return used


def _bought_in(line, i: int) -> domain.MaterialUse:
    if not line.name:
        raise InvalidInput("a material without a sku needs its name", field=f"materials[{i}].name")
    if line.unit_price_fen is None:
        raise InvalidInput("a material without a sku needs its unit_price_fen", field=f"materials[{i}].unit_price_fen")
    return domain.MaterialUse(name=line.name, quantity=line.quantity, unit_price_fen=line.unit_price_fen)


async def move(tx: Tx, plaza_id: str, item: dict, after: int, kind: str, who: Who, now: dt.datetime, **extra) -> None:
    """A level changed by another capability of the warehouse (a receipt, a requisition, a
    stocktake): written, audited as a movement, StockLow when it crosses the line."""
    await _apply(tx, plaza_id, item, after, kind, who, now, **extra)


async def locked_item(tx: Tx, plaza_id: str, sku: str, field: str = "sku") -> dict:
    return await _item(tx, plaza_id, sku, field)


async def _item(tx: Tx, plaza_id: str, sku: str, field: str) -> dict:
    item = await store.get_item(tx.conn, plaza_id, sku, lock=True)
    if item is None:
        raise NotFound(f"sku {sku!r} is not in plaza {plaza_id!r}'s stock", field=field)
    return item


async def _apply(tx: Tx, plaza_id: str, item: dict, after: int, kind: str, who: Who, now, *,
                 announced_by: Who | None = None, **extra) -> None:
    await store.set_quantity(tx.conn, plaza_id, item["sku"], after, now)
    await _moved(tx, plaza_id, item["sku"], kind, after - item["quantity"], after, who, now, **extra)
    if domain.became_low(item["quantity"], after, item["low_level"]):
        await _low(tx, plaza_id, {**item, "quantity": after}, announced_by or who, now, extra.get("work_order_id"))


async def _moved(tx: Tx, plaza_id: str, sku: str, kind: str, delta: int, after: int, who: Who, now, **extra) -> None:
    await store.add_movement(
        tx.conn,
        {"id": new_event_id(), "plaza_id": plaza_id, "sku": sku, "kind": kind, "delta": delta,
         "quantity_after": after, "actor": who.actor, "occurred_at": now, **extra},
    )


async def _low(tx: Tx, plaza_id: str, item: dict, who: Who, now, work_order_id: str | None = None) -> None:
    await tx.emit(
        StockLow(
            plaza_id=plaza_id, occurred_at=now, correlation_id=who.correlation_id, causation_id=who.command_id,
            actor=who.actor, sku=item["sku"], name=item["name"], quantity=item["quantity"],
            low_level=item["low_level"], work_order_id=work_order_id,
        )
    )
