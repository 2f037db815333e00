"""The service catalogue's use cases: the price list, pricing a closed job's catalogue
line, ad hoc charges with four eyes above the plaza's threshold, and what was sold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import ChargePosted, WorkOrderClosed
from libs.runtime import foureyes, idempotency, limits
from libs.runtime.errors import Conflict, NotFound
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.catalogue import domain, store
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import services as ledger
from services.billing.ledger import store as ledger_store
from services.billing.tables import idempotency_keys

PositiveFen = Annotated[int, msgspec.Meta(gt=0, le=limits.FEN_MAX)]


class ItemUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name_zh: limits.Name
    name_en: limits.Name
    department: limits.Code
    pricing: domain.Pricing
    price_fen: PositiveFen | None = None
    unit_name: limits.line(32) | None = None
    tax_treatment: domain.TaxTreatment = "included"
    tax_rate_bp: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    active_from: dt.date
    active_to: dt.date | None = None


class ItemView(domain.Item, frozen=True, kw_only=True):
    pass


class SettingsUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ad_hoc_approval_above_fen: Annotated[int, msgspec.Meta(ge=0, le=limits.FEN_MAX)]


class AdHocCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item: limits.Code  # a catalogue code, or the service's own short name
    amount_fen: PositiveFen
    reason: limits.Note
    quantity: Annotated[int, msgspec.Meta(ge=1, le=limits.QUANTITY_MAX)] = 1
    unit_name: limits.line(32) | None = None


class AdHocView(msgspec.Struct, kw_only=True):
    id: str
    unit: str
    item: str
    name: str
    quantity: int
    unit_name: str | None
    amount_fen: int
    tax_fen: int
    reason: str
    status: Literal["pending", "approved", "rejected", "posted"]
    requested_by: str
    decided_by: str | None = None
    entry_id: str | None = None


def _item(row) -> domain.Item:
    return domain.Item(**{f: getattr(row, f) for f in domain.Item.__struct_fields__})


async def put_item(tx: Tx, plaza_id: str, code: str, body: ItemUpdate) -> ItemView:
    item = ItemView(code=code, **msgspec.structs.asdict(body))
    domain.check(item)
    await store.save_item(tx.conn, plaza_id, code, msgspec.structs.asdict(body))
    return item


async def list_items(conn, plaza_id: str, on: dt.date | None = None) -> list[ItemView]:
    items = [ItemView(**msgspec.structs.asdict(_item(r))) for r in await store.items_of(conn, plaza_id)]
    return [i for i in items if on is None or domain.sold_on(i, on)]


async def set_settings(tx: Tx, plaza_id: str, body: SettingsUpdate) -> SettingsUpdate:
    await store.save_threshold(tx.conn, plaza_id, body.ad_hoc_approval_above_fen)
    return body


async def get_settings(conn, plaza_id: str) -> dict:
    return {"ad_hoc_approval_above_fen": await store.threshold_of(conn, plaza_id)}


# --- a closed job's catalogue line -------------------------------------------------------


class Sold(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    name: str
    quantity: int
    tax_fen: int
    at: dt.datetime  # the close: revenue counts in its month


async def price_closings(conn, events: list[WorkOrderClosed]) -> tuple[list[WorkOrderClosed], dict]:
    """Each paid closing's catalogue lines priced from the plaza's price list on the local
    day of the close (a quoted item: the job's quote). The lines keep their ids, so the
    ledger posts each once however often the job closes. Also what each line sold, by
    (plaza, line id), for the revenue report."""
    wanted = {(e.plaza_id, line.catalogue_item) for e in events if e.paid for line in e.charge_lines if line.catalogue_item}
    if not wanted:
        return events, {}
    catalogue: dict[tuple[str, str], domain.Item] = {}
    for plaza_id in {p for p, _ in wanted}:
        for row in await store.items_of(conn, plaza_id, {c for p, c in wanted if p == plaza_id}):
            catalogue[(plaza_id, row.code)] = _item(row)
    zones = await facts.plaza_zones(conn, {p for p, _ in wanted})
    priced, sold = [], {}
    for e in events:
        if not e.paid or not any(line.catalogue_item for line in e.charge_lines):
            priced.append(e)
            continue
        day = ledger_domain.local_date(e.occurred_at, zones.get(e.plaza_id) or ledger_domain.plaza_zone(None))
        lines = []
        for line in e.charge_lines:
            if line.catalogue_item:
                item = catalogue.get((e.plaza_id, line.catalogue_item))
                amount = domain.price(item, line.catalogue_item, line.quantity, line.amount_fen, day)
                unit_price = amount // line.quantity if item.pricing == "per_unit" and line.quantity else amount
                line = msgspec.structs.replace(line, amount_fen=amount, unit_price_fen=unit_price,
                                               description=f"{item.name_zh} {item.name_en}")
                sold[(e.plaza_id, line.line_id)] = Sold(
                    item=item.code, name=item.name_zh, quantity=line.quantity,
                    tax_fen=domain.tax_fen(amount, item.tax_treatment, item.tax_rate_bp), at=e.occurred_at)
            lines.append(line)
        priced.append(msgspec.structs.replace(e, charge_lines=lines))
    return priced, sold


async def record_sold(tx: Tx, posted: Iterable[ChargePosted], sold: dict) -> None:
    """The revenue rows of the catalogue lines that were newly posted (a repeat posts nothing)."""
    rows = []
    for p in posted:
        s = sold.get((p.plaza_id, p.line_id))
        if s is not None:
            rows.append(_sold_row(p.plaza_id, p.entry_id, p.unit, s.item, s.name, "work_order", s.quantity,
                                  p.amount_fen, s.tax_fen, s.at))
    await store.add_sold(tx.conn, rows)


def _sold_row(plaza_id, entry_id, unit, item, name, source, quantity, amount_fen, tax_fen, at) -> dict:
    return {"plaza_id": plaza_id, "entry_id": entry_id, "unit": unit, "item": item, "name": name, "source": source,
            "quantity": quantity, "amount_fen": amount_fen, "tax_fen": tax_fen, "occurred_at": at}


# --- ad hoc charges ----------------------------------------------------------------------


async def request_ad_hoc(tx: Tx, plaza_id: str, unit: str, body: AdHocCreate, *, actor: str,
                         idempotency_key: str | None) -> AdHocView:
    """Posted at once up to the plaza's threshold; above it, a pending request a second
    person approves (four eyes). A retried ask (same key) is one charge."""

    async def run() -> AdHocView:
        return await _request_ad_hoc(tx, plaza_id, unit, body, actor)

    return await idempotency.once(tx.conn, idempotency_keys, plaza_id, f"ad-hoc:{unit}", idempotency_key, body,
                                  AdHocView, run, required=True)


async def _request_ad_hoc(tx: Tx, plaza_id: str, unit: str, body: AdHocCreate, actor: str) -> AdHocView:
    await ledger.require_account(tx.conn, plaza_id, unit)
    known = await store.items_of(tx.conn, plaza_id, {body.item})
    item = _item(known[0]) if known else None
    name = item.name_zh if item else body.item
    tax = domain.tax_fen(body.amount_fen, item.tax_treatment, item.tax_rate_bp) if item else 0
    row = {"id": new_event_id(), "plaza_id": plaza_id, "unit": unit, "item": body.item, "name": name,
           "quantity": body.quantity, "unit_name": body.unit_name or (item.unit_name if item else None),
           "amount_fen": body.amount_fen, "tax_fen": tax, "reason": body.reason, "status": "pending",
           "requested_by": actor, "requested_at": utcnow(), "decided_by": None, "decided_at": None, "entry_id": None}
    if domain.needs_second_person(body.amount_fen, await store.threshold_of(tx.conn, plaza_id)):
        await store.add_ad_hoc(tx.conn, row)
        return _view(row)
    row |= {"status": "posted", "entry_id": await _post_ad_hoc(tx, row, actor)}
    await store.add_ad_hoc(tx.conn, row)
    return _view(row)


async def decide_ad_hoc(tx: Tx, plaza_id: str, unit: str, charge_id: str, *, actor: str, approve: bool) -> AdHocView:
    row = await store.get_ad_hoc(tx.conn, plaza_id, unit, charge_id)
    if row is None:
        raise NotFound(f"no ad hoc charge {charge_id!r} on unit {unit!r}'s account", field="charge_id")
    status = foureyes.decide(row["status"], row["requested_by"], actor, "this ad hoc charge", approve=approve)
    values = {"status": status, "decided_by": actor, "decided_at": utcnow()}
    if status == "approved":
        values["entry_id"] = await _post_ad_hoc(tx, {**row, **values}, actor)
    if not await store.decide_ad_hoc(tx.conn, plaza_id, charge_id, values):
        raise Conflict("this ad hoc charge was decided meanwhile; read it again", field="status")
    return _view({**row, **values})


async def list_ad_hoc(conn, plaza_id: str, status: str | None) -> list[AdHocView]:
    return [_view(r) for r in await store.ad_hoc_list(conn, plaza_id, status)]


async def _post_ad_hoc(tx: Tx, row: dict, approver: str) -> str:
    """The charge on the unit's account (falls due like a job's charge), its revenue row,
    and ChargePosted (no work order: ``work_order_id`` is "")."""
    plaza_id, unit = row["plaza_id"], row["unit"]
    now = utcnow()
    due = ledger_domain.charge_due(now, await facts.plaza_zone(tx.conn, plaza_id))
    posting = ledger_domain.Posting(
        kind="charge", amount_fen=row["amount_fen"], description=f"{row['name']} ×{row['quantity']}",
        line_id=f"ad-hoc:{row['id']}", due_date=due, reason=row["reason"],
        approver=approver if approver != row["requested_by"] else None,
    )
    entry_id = new_event_id()
    await ledger_store.add_entry(tx.conn, ledger_store.entry_row(
        plaza_id, unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None,
        actor=row["requested_by"], source=f"request:{row['id']}",
    ))
    await store.add_sold(tx.conn, [_sold_row(plaza_id, entry_id, unit, row["item"], row["name"], "ad_hoc",
                                             row["quantity"], row["amount_fen"], row["tax_fen"], now)])
    await tx.emit(ChargePosted(
        plaza_id=plaza_id, correlation_id=row["id"], actor=row["requested_by"], unit=unit, entry_id=entry_id,
        work_order_id="", line_id=posting.line_id, description=posting.description, amount_fen=posting.amount_fen,
    ))
    return entry_id


def _view(row: dict) -> AdHocView:
    return msgspec.convert({k: row[k] for k in AdHocView.__struct_fields__ if k in row}, AdHocView)


# --- revenue -----------------------------------------------------------------------------


class ItemRevenue(msgspec.Struct, kw_only=True):
    month: str
    item: str
    name: str
    count: int
    quantity: int
    amount_fen: int
    tax_fen: int


async def revenue(conn, plaza_id: str, month: str, start: dt.datetime, end: dt.datetime) -> list[ItemRevenue]:
    """Multi-service revenue (多种经营收入) of one month, by item."""
    out: dict[str, ItemRevenue] = {}
    for r in await store.sold_between(conn, plaza_id, start, end):
        row = out.setdefault(r.item, ItemRevenue(month=month, item=r.item, name=r.name, count=0, quantity=0,
                                                 amount_fen=0, tax_fen=0))
        row.count += 1
        row.quantity += r.quantity
        row.amount_fen += r.amount_fen
        row.tax_fen += r.tax_fen
    return sorted(out.values(), key=lambda r: (-r.amount_fen, r.item))

