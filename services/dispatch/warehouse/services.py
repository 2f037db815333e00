"""The warehouse's use cases, each one transaction: receiving goods (levels up, average
cost moved), requisitions (asked by anyone who works, issued once the supervisor approves),
stocktakes (a sheet for a day, counted, its variance applied once a second person
approves), and what the stock is worth."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from libs.contracts import new_event_id
from libs.runtime import foureyes, limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.uow import Tx
from services.dispatch.stock import services as stock
from services.dispatch.stock.services import Who
from services.dispatch.warehouse import domain, store

Positive = Annotated[int, msgspec.Meta(ge=1, le=limits.QUANTITY_MAX)]


class ReceiptLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: limits.Code
    quantity: Positive
    unit_cost_fen: limits.Fen


class GoodsReceiptCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    supplier: limits.Name
    document_id: limits.Code  # the delivery note or invoice number
    lines: limits.items(ReceiptLine, 200)


class RequisitionLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: limits.Code
    quantity: Positive


class RequisitionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lines: limits.items(RequisitionLine, 200)
    reason: limits.Note
    department: limits.Code | None = None
    person: limits.Name | None = None
    work_order_id: limits.Code | None = None


class StocktakeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    day: dt.date


class Count(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: limits.Code
    counted: limits.Quantity


class CountsUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    counts: limits.items(Count, 5000)


def _refused(exc: domain.WarehouseRefused) -> InvalidInput:
    return InvalidInput(str(exc), field=exc.field)


# --- goods receipts ------------------------------------------------------------------------


async def receive_goods(tx: Tx, plaza_id: str, body: GoodsReceiptCreate, who: Who, now: dt.datetime) -> dict:
    """Each line raises its item's level and moves its average cost; one delivery note of a
    supplier is received once (a second time: 409)."""
    if await store.receipt_of_document(tx.conn, plaza_id, body.supplier, body.document_id):
        raise Conflict(f"document {body.document_id!r} of {body.supplier!r} has been received already",
                       field="document_id")
    try:
        domain.distinct_lines([msgspec.structs.asdict(line) for line in body.lines])
    except domain.WarehouseRefused as exc:
        raise _refused(exc) from None
    receipt_id = new_event_id()
    for i, line in enumerate(body.lines):
        item = await stock.locked_item(tx, plaza_id, line.sku, f"lines[{i}].sku")
        cost = domain.average_cost(item["quantity"], item.get("average_cost_fen"), line.quantity, line.unit_cost_fen)
        await store.set_average_cost(tx.conn, plaza_id, line.sku, cost)
        await stock.move(tx, plaza_id, item, item["quantity"] + line.quantity, "receipt", who, now,
                         reason=f"{body.supplier} {body.document_id}")
    row = {"id": receipt_id, "plaza_id": plaza_id, "supplier": body.supplier, "document_id": body.document_id,
           "lines": [msgspec.structs.asdict(line) for line in body.lines],
           "total_fen": sum(line.quantity * line.unit_cost_fen for line in body.lines),
           "received_by": who.actor, "received_at": now}
    await store.add_receipt(tx.conn, row)
    return row


# --- requisitions ----------------------------------------------------------------------------


async def request_requisition(tx: Tx, plaza_id: str, body: RequisitionCreate, who: Who, now: dt.datetime) -> dict:
    """Asked by a department or a person, with or without a work order; checked against
    the levels now (and again when approved)."""
    if not (body.department or body.person):
        raise InvalidInput("a requisition names the department or the person it is for", field="department")
    lines = [msgspec.structs.asdict(line) for line in body.lines]
    try:
        domain.distinct_lines(lines)
    except domain.WarehouseRefused as exc:
        raise _refused(exc) from None
    await _enough(tx, plaza_id, lines)
    row = {"id": new_event_id(), "plaza_id": plaza_id, "department": body.department, "person": body.person,
           "work_order_id": body.work_order_id, "lines": lines, "reason": body.reason, "status": "pending",
           "requested_by": who.actor, "requested_at": now, "decided_by": None, "decided_at": None}
    await store.add_requisition(tx.conn, row)
    return row


async def decide_requisition(tx: Tx, plaza_id: str, requisition_id: str, who: Who, now: dt.datetime, *,
                             approve: bool) -> dict:
    """The supervisor's yes issues every line (levels down, audited as a requisition);
    whoever asked cannot approve their own."""
    row = await store.get_requisition(tx.conn, plaza_id, requisition_id)
    if row is None:
        raise NotFound(f"no requisition {requisition_id!r} in plaza {plaza_id!r}", field="requisition_id")
    status = foureyes.decide(row["status"], row["requested_by"], who.actor, "this requisition", approve=approve)
    values = {"status": status, "decided_by": who.actor, "decided_at": now}
    if approve:
        for item, line in await _enough(tx, plaza_id, row["lines"]):
            await stock.move(tx, plaza_id, item, item["quantity"] - line["quantity"], "requisition",
                             msgspec.structs.replace(who, actor=row["requested_by"]), now,
                             reason=_for_whom(row), work_order_id=row["work_order_id"], approved_by=who.actor)
    if not await store.decide_requisition(tx.conn, plaza_id, requisition_id, values):
        raise Conflict("this requisition was decided meanwhile; read it again", field="status")
    return {**row, **values}


def _for_whom(row: dict) -> str:
    return " / ".join(x for x in (row["department"], row["person"], row["reason"]) if x)


async def _enough(tx: Tx, plaza_id: str, lines: list[dict]) -> list[tuple[dict, dict]]:
    out = []
    for i, line in enumerate(lines):
        item = await stock.locked_item(tx, plaza_id, line["sku"], f"lines[{i}].sku")
        if line["quantity"] > item["quantity"]:
            raise Conflict(f"not enough of sku {line['sku']!r} in stock: {line['quantity']} asked, "
                           f"{item['quantity']} on hand", field=f"lines[{i}].quantity")
        out.append((item, line))
    return out


async def list_requisitions(conn, plaza_id: str, status: str | None) -> list[dict]:
    return await store.requisitions(conn, plaza_id, status)


# --- stocktakes ------------------------------------------------------------------------------


async def open_stocktake(tx: Tx, plaza_id: str, body: StocktakeCreate, who: Who, now: dt.datetime) -> dict:
    """The sheet for a day: every item with the level expected on hand now, to be counted."""
    lines = domain.sheet(await store.all_items(tx.conn, plaza_id))
    if not lines:
        raise InvalidInput(f"plaza {plaza_id!r} has no stock to count", field="plaza")
    row = {"id": new_event_id(), "plaza_id": plaza_id, "day": body.day, "status": "open",
           "lines": [msgspec.structs.asdict(line) for line in lines], "created_by": who.actor, "created_at": now,
           "submitted_by": None, "submitted_at": None, "decided_by": None, "decided_at": None}
    await store.add_stocktake(tx.conn, row)
    return row


def sheet_of(row: dict) -> list[domain.SheetLine]:
    return [msgspec.convert(line, domain.SheetLine) for line in row["lines"]]


async def count(tx: Tx, plaza_id: str, stocktake_id: str, body: CountsUpdate) -> dict:
    row = await _stocktake(tx, plaza_id, stocktake_id, "open")
    try:
        lines = domain.fill(sheet_of(row), {c.sku: c.counted for c in body.counts})
    except domain.WarehouseRefused as exc:
        raise _refused(exc) from None
    values = {"lines": [msgspec.structs.asdict(line) for line in lines]}
    await _update(tx, plaza_id, stocktake_id, "open", values)
    return {**row, **values}


async def submit(tx: Tx, plaza_id: str, stocktake_id: str, who: Who, now: dt.datetime) -> dict:
    """Every line counted: the variance waits for a second person."""
    row = await _stocktake(tx, plaza_id, stocktake_id, "open")
    try:
        domain.ready(sheet_of(row))
    except domain.WarehouseRefused as exc:
        raise _refused(exc) from None
    values = {"status": "submitted", "submitted_by": who.actor, "submitted_at": now}
    await _update(tx, plaza_id, stocktake_id, "open", values)
    return {**row, **values}


async def decide_stocktake(tx: Tx, plaza_id: str, stocktake_id: str, who: Who, now: dt.datetime, *,
                           approve: bool) -> dict:
    """Approved by someone other than who submitted it: each line's variance (counted −
    expected) moves its item's level, audited as a stocktake; rejected: nothing moves."""
    row = await _stocktake(tx, plaza_id, stocktake_id, "submitted")
    status = foureyes.decide("pending", row["submitted_by"], who.actor, "this stocktake", approve=approve)
    if approve:
        for line in domain.variances(sheet_of(row)):
            item = await stock.locked_item(tx, plaza_id, line.sku)
            after = item["quantity"] + line.variance
            if after < 0:
                raise Conflict(f"sku {line.sku!r} has {item['quantity']} on hand now; a variance of {line.variance} "
                               "would leave less than none", field="lines")
            await stock.move(tx, plaza_id, item, after, "stocktake", msgspec.structs.replace(who, actor=row["submitted_by"]),
                             now, reason=f"stocktake {row['day']}: counted {line.counted}, expected {line.expected}",
                             approved_by=who.actor)
    values = {"status": status, "decided_by": who.actor, "decided_at": now}
    await _update(tx, plaza_id, stocktake_id, "submitted", values)
    return {**row, **values}


async def get_stocktake(conn, plaza_id: str, stocktake_id: str) -> dict:
    row = await store.get_stocktake(conn, plaza_id, stocktake_id)
    if row is None:
        raise NotFound(f"no stocktake {stocktake_id!r} in plaza {plaza_id!r}", field="stocktake_id")
    return row


async def _stocktake(tx: Tx, plaza_id: str, stocktake_id: str, status: str) -> dict:
    row = await store.get_stocktake(tx.conn, plaza_id, stocktake_id, lock=True)
    if row is None:
        raise NotFound(f"no stocktake {stocktake_id!r} in plaza {plaza_id!r}", field="stocktake_id")
    if row["status"] != status:
        raise Conflict(f"this stocktake is {row['status']}; only one {status} can do that", field="status")
    return row


async def _update(tx: Tx, plaza_id: str, stocktake_id: str, was: str, values: dict) -> None:
    if not await store.update_stocktake(tx.conn, plaza_id, stocktake_id, was, values):
        raise Conflict("this stocktake changed meanwhile; read it again", field="status")


# --- value and movements -----------------------------------------------------------------------


async def stock_value(conn, plaza_id: str) -> list[dict]:
    """Each item's level at its average cost (its price before any receipt)."""
    out = []
    for item in await store.all_items(conn, plaza_id):
        cost = domain.cost_of(item)
        out.append({"sku": item["sku"], "name": item["name"], "quantity": item["quantity"],
                    "average_cost_fen": cost, "value_fen": cost * item["quantity"]})
    return out


async def movements(conn, plaza_id: str, start: dt.datetime | None, end: dt.datetime | None) -> list[dict]:
    return await store.movements_between(conn, plaza_id, start, end)
