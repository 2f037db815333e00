"""Billing's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.billing import services, services_ledger, services_prepaid
from services.billing.services import PaymentAccepted, PaymentCreate


# Optional to the parser, so that its absence is answered by the use case with 428 naming
# the header rather than a generic 400.
MONEY_KEY = ("Required: one unique value per payment, sent again unchanged on a retry, which then "
             "answers the first result instead of taking the money twice (428 without it).")


class EntryView(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    kind: str
    amount_fen: int
    occurred_at: str
    description: str
    work_order_id: str | None = None
    line_id: str | None = None
    method: str | None = None
    reference: str | None = None
    currency: str
    actor: str | None = None
    source: str | None = None
    invoice_id: str | None = None
    due_date: str | None = None
    utility: str | None = None
    reverses_entry_id: str | None = None
    reason: str | None = None
    approver: str | None = None


class OpenItemView(msgspec.Struct, kw_only=True, omit_defaults=True):
    entry_id: str
    kind: str
    description: str
    amount_fen: int
    open_fen: int
    due_date: str
    invoice_id: str | None = None
    work_order_id: str | None = None


class AccountView(msgspec.Struct, kw_only=True):
    unit: str
    owed_fen: int
    currency: str
    entries: list[EntryView]
    credit_fen: int = 0
    deposit_held_fen: int = 0
    prepaid_fen: dict[str, int] = {}
    open_items: list[OpenItemView] = []


class AccountSummary(msgspec.Struct, kw_only=True):
    unit: str
    owed_fen: int
    currency: str
    in_arrears: bool
    known: bool
    occupant_name: str | None = None
    key_account: bool = False


def _entry(row) -> EntryView:
    return EntryView(
        id=row.id, kind=row.kind, amount_fen=row.amount_fen, occurred_at=iso(row.occurred_at),
        description=row.description, work_order_id=row.work_order_id, line_id=row.line_id,
        method=row.method, reference=row.reference, currency=row.currency, actor=row.actor, source=row.source,
        invoice_id=row.invoice_id, due_date=row.due_date.isoformat() if row.due_date else None,
        utility=row.utility, reverses_entry_id=row.reverses_entry_id, reason=row.reason, approver=row.approver,
    )


def _open_item(item) -> OpenItemView:
    return OpenItemView(
        entry_id=item.entry_id, kind=item.kind, description=item.description, amount_fen=item.amount_fen,
        open_fen=item.open_fen, due_date=item.due_date.isoformat(), invoice_id=item.invoice_id,
        work_order_id=item.work_order_id,
    )


def _summary(unit: str, owed: int, known) -> AccountSummary:
    return AccountSummary(
        unit=unit, owed_fen=owed, currency="CNY", in_arrears=owed > 0, known=known is not None,
        occupant_name=known.occupant_name if known else None,
        key_account=bool(known.key_account) if known else False,
    )


class AccountController(Controller):
    path = "/v1/plazas/{plaza:str}/accounts"

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        in_arrears: bool = Parameter(query="in_arrears", default=False),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            accounts = await services.list_accounts(conn, plaza)
        if in_arrears:
            accounts = [a for a in accounts if a[1] > 0]
        # Sorted by what is owed, which moves, so the cursor is a plain offset.
        start = int(cursor) if cursor and cursor.isdigit() else 0
        window = accounts[start:start + limit]
        more = start + limit < len(accounts)
        return Page(items=[_summary(*a) for a in window], next=str(start + limit) if more else None)

    @get("/{unit:str}")
    async def show(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime) -> AccountView:
        async with runtime.read() as conn:
            account = await services.load_account(conn, plaza, unit)
        return AccountView(
            unit=account.unit, owed_fen=account.owed_fen, currency="CNY",
            entries=[_entry(e) for e in account.entries], credit_fen=max(0, -account.owed_fen),
            deposit_held_fen=account.deposit_held_fen, prepaid_fen=account.prepaid_fen,
            open_items=[_open_item(i) for i in account.open_items],
        )

    @post("/{unit:str}/payments", status_code=201)
    async def pay(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        data: PaymentCreate,
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> PaymentAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services.receive_payment(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{unit:str}/refunds", status_code=201)
    async def refund(
        self, plaza: FromPath[str], unit: FromPath[str], data: services_ledger.RefundCreate, runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> services_ledger.RefundAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_ledger.issue_refund(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{unit:str}/corrections", status_code=201)
    async def correct(
        self, plaza: FromPath[str], unit: FromPath[str], data: services_ledger.CorrectionCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="finance"),
    ) -> services_ledger.CorrectionAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_ledger.correct_entry(tx, plaza, unit, data, actor=actor)

    @post("/{unit:str}/prepaid/{utility:str}/recharges", status_code=201)
    async def recharge(
        self, plaza: FromPath[str], unit: FromPath[str], utility: FromPath[str],
        data: services_prepaid.RechargeCreate, runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> services_prepaid.RechargeAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_prepaid.recharge(
                tx, plaza, unit, utility, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{unit:str}/meter-readings", status_code=201)
    async def reading(
        self, plaza: FromPath[str], unit: FromPath[str], data: services_prepaid.ReadingCreate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="meter-reader"),
    ) -> services_prepaid.ReadingAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services_prepaid.record_reading(tx, plaza, unit, data, actor=actor)
