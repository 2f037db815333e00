"""Public-share costs (公摊费用) and their financial disclosure (财务公开): finance enters a
period's shared costs with their evidence; the run apportions their total to the units by
the rule and charges each unit its share once (a repeated run changes nothing), and
announces the whole table (PublicShareDisclosed) for the notices service to disclose."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import PublicShareCharged, PublicShareCost, PublicShareDisclosed, PublicShareLine
from libs.runtime import export, limits
from libs.runtime.errors import Conflict, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.billing import facts
from services.billing.fees import domain as fee_rules
from services.billing.fees import store as fee_store
from services.billing.ledger import domain as ledger_domain
from services.billing.ledger import store as ledger_store
from services.billing.ledger.services import refused
from services.billing.public_share import domain, store


class CostCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category: limits.line(domain.CATEGORY_MAX)
    amount_fen: limits.Fen
    documents: limits.items(limits.Code, 50)
    description: limits.Note | None = None


class RunCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rule: limits.Code = "area"


class CostView(msgspec.Struct, kw_only=True):
    id: str
    category: str
    description: str | None
    amount_fen: int
    documents: list[str]
    entered_at: str
    entered_by: str | None


class LineView(msgspec.Struct, kw_only=True):
    unit: str
    area_m2: float
    share_fen: int
    entry_id: str | None = None


class PublicShareView(msgspec.Struct, kw_only=True):
    period: str
    rule: str
    charged: bool
    total_fen: int
    costs: list[CostView]
    units: list[LineView]
    due_date: str | None = None
    run_at: str | None = None
    run_by: str | None = None
    currency: str = "CNY"


def _period(text: str) -> str:
    try:
        return fee_rules.parse_period(text).key
    except ledger_domain.Refused as exc:
        raise refused(exc) from None


def _cost(r) -> CostView:
    return CostView(id=r["id"], category=r["category"], description=r["description"], amount_fen=r["amount_fen"],
                    documents=list(r["documents"]), entered_at=iso(r["entered_at"]), entered_by=r["entered_by"])


async def add_cost(tx: Tx, plaza_id: str, period: str, body: CostCreate, *, actor: str) -> PublicShareView:
    """A shared cost of the period, with its evidence; refused once the period is charged."""
    period = _period(period)
    try:
        domain.check_cost(body.amount_fen, body.documents)
    except ledger_domain.Refused as exc:
        raise refused(exc) from None
    if await store.run_of(tx.conn, plaza_id, period) is not None:
        raise Conflict(f"the public share of {period} is charged already; enter the cost in another period",
                       field="period")
    await store.add_cost(tx.conn, {
        "id": new_event_id(), "plaza_id": plaza_id, "period": period, "category": body.category,
        "description": body.description, "amount_fen": body.amount_fen,
        "documents": [d.strip() for d in body.documents if d.strip()], "entered_at": utcnow(), "entered_by": actor})
    return await show(tx.conn, plaza_id, period)


async def _apportioned(conn: AsyncConnection, plaza_id: str, total: int, rule: str) -> list[LineView]:
    units = [(u.unit, u.area_m2) for u in await facts.units_of(conn, plaza_id)]
    if not units:
        raise NotFound(f"plaza {plaza_id!r} has no units to share costs among", field="plaza")
    try:
        shares = domain.apportion(total, domain.weights(units, domain.check_rule(rule)))
    except ledger_domain.Refused as exc:
        raise refused(exc) from None
    return [LineView(unit=unit, area_m2=area, share_fen=shares[unit]) for unit, area in sorted(units)]


async def show(conn: AsyncConnection, plaza_id: str, period: str, rule: str = "area") -> PublicShareView:
    """The period's table: as charged, or (not charged yet) as a run by ``rule`` would charge it now."""
    period = _period(period)
    costs = [_cost(r) for r in await store.costs_of(conn, plaza_id, period)]
    run = await store.run_of(conn, plaza_id, period)
    if run is not None:
        lines = [LineView(unit=r["unit"], area_m2=r["area_m2"], share_fen=r["share_fen"], entry_id=r["entry_id"])
                 for r in await store.lines_of(conn, plaza_id, period)]
        return PublicShareView(period=period, rule=run["rule"], charged=True, total_fen=run["total_fen"], costs=costs,
                               units=lines, due_date=run["due_date"].isoformat(), run_at=iso(run["run_at"]),
                               run_by=run["run_by"])
    total = sum(c.amount_fen for c in costs)
    lines = await _apportioned(conn, plaza_id, total, rule) if total else []
    return PublicShareView(period=period, rule=rule, charged=False, total_fen=total, costs=costs, units=lines)


async def run(tx: Tx, plaza_id: str, period: str, body: RunCreate, *, actor: str) -> PublicShareView:
    """Charges each unit its share once: a period already charged is shown as it was."""
    period = _period(period)
    if await store.run_of(tx.conn, plaza_id, period) is not None:
        return await show(tx.conn, plaza_id, period)
    costs = await store.costs_of(tx.conn, plaza_id, period)
    if not costs:
        raise NotFound(f"no shared cost is entered for {period}", field="period")
    total = sum(c["amount_fen"] for c in costs)
    lines = await _apportioned(tx.conn, plaza_id, total, body.rule)
    now = utcnow()
    zone = await facts.plaza_zone(tx.conn, plaza_id)
    rates = await fee_store.rates_of(tx.conn, plaza_id)
    due = ledger_domain.local_date(now, zone) + dt.timedelta(days=rates.due_days if rates else fee_rules.DEFAULT_DUE_DAYS)
    if not await store.add_run_once(tx.conn, {"plaza_id": plaza_id, "period": period, "rule": body.rule,
                                              "total_fen": total, "due_date": due, "run_at": now, "run_by": actor}):
        return await show(tx.conn, plaza_id, period)  # another run got there first
    rows, charged = [], []
    for line in lines:
        entry_id = new_event_id() if line.share_fen else None
        rows.append({"plaza_id": plaza_id, "period": period, "unit": line.unit, "area_m2": line.area_m2,
                     "share_fen": line.share_fen, "entry_id": entry_id})
        if entry_id is None:
            continue
        posting = ledger_domain.Posting(kind="fee", amount_fen=line.share_fen, due_date=due,
                                        description=f"public share {period} ({body.rule})",
                                        line_id=f"public-share:{line.unit}:{period}")
        await ledger_store.add_entry(tx.conn, ledger_store.entry_row(
            plaza_id, line.unit, entry_id, posting, occurred_at=now, recorded_at=now, causation_id=None, actor=actor,
            source=f"request:public-share:{period}"))
        charged.append(PublicShareCharged(
            plaza_id=plaza_id, occurred_at=now, correlation_id=f"public-share:{period}", actor=actor, unit=line.unit,
            entry_id=entry_id, period=period, amount_fen=line.share_fen, due_date=due, area_m2=line.area_m2,
            rule=body.rule))
    await store.add_lines(tx.conn, rows)
    disclosed = PublicShareDisclosed(
        plaza_id=plaza_id, occurred_at=now, correlation_id=f"public-share:{period}", actor=actor, period=period,
        rule=body.rule, total_fen=total,
        costs=[PublicShareCost(category=c["category"], amount_fen=c["amount_fen"], description=c["description"],
                               documents=list(c["documents"])) for c in costs],
        lines=[PublicShareLine(unit=line.unit, area_m2=line.area_m2, share_fen=line.share_fen) for line in lines])
    await tx.emit(*charged, disclosed)
    return await show(tx.conn, plaza_id, period)


def workbook(view: PublicShareView) -> bytes:
    """The period's table as a workbook: the costs with their evidence, then each unit's share."""
    costs = [["费用类别 Category", "说明 Description", "金额（元） Amount (yuan)", "凭证 Documents"],
             *[[c.category, c.description or "", c.amount_fen / 100, ", ".join(c.documents)] for c in view.costs],
             ["合计 Total", "", view.total_fen / 100, ""]]
    units = [["单元 Unit", "面积（㎡） Area (m²)", "分摊（元） Share (yuan)", "分摊（分） Share (fen)"],
             *[[u.unit, u.area_m2, u.share_fen / 100, u.share_fen] for u in view.units],
             ["合计 Total", sum(u.area_m2 for u in view.units), sum(u.share_fen for u in view.units) / 100,
              sum(u.share_fen for u in view.units)]]
    return export.xlsx([(f"公摊费用 {view.period}", costs), (f"分摊明细 {view.period}", units)])
