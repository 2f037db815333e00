"""Billing's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.billing import services
from services.billing.services import PaymentAccepted, PaymentCreate


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


class AccountView(msgspec.Struct, kw_only=True):
    unit: str
    owed_fen: int
    currency: str
    entries: list[EntryView]


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
        method=row.method, reference=row.reference,
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
            entries=[_entry(e) for e in account.entries],
        )

    @post("/{unit:str}/payments", status_code=201)
    async def pay(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        data: PaymentCreate,
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> PaymentAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await services.receive_payment(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)
