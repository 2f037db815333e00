"""Accounts' HTTP API: a unit's ledger, payments, refunds and corrections (each asked by
one person, approved or rejected by a second), the requests waiting. Translation only."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, check_unit
from services.billing.ledger import services as ledger
from services.billing.ledger.services import MONEY_KEY

PAYMENT_EXAMPLE = Example(
    summary="前台收银 300 元 / 300 yuan taken at the front desk",
    value={"amount_fen": 30000, "method": "wechat", "reference": "WX-20261205-0001"},
)
REFUND_EXAMPLE = Example(
    summary="退还多缴的 50 元 / 50 yuan of a credit handed back",
    value={"amount_fen": 5000, "method": "transfer", "reason": "paid the invoice twice"},
)
CORRECTION_EXAMPLE = Example(
    summary="冲正一笔误收的费用 / Reverse a charge posted by mistake",
    value={"entry_id": "01JEXAMPLE0000000000000000", "reason": "charged to the wrong unit"},
)


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
    tags = ["accounts"]

    @get("/", summary="账户列表 / List accounts",
         description="广场里每个有账户的单元（档案登记过或已有流水），欠费多的在前；in_arrears=true 只列欠费的。"
                     "cursor 为偏移量。 / Every unit with an account (registered by archive, or with money "
                     "moved already), most owed first; in_arrears=true lists only those owing. The cursor "
                     "is an offset.")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        in_arrears: bool = Parameter(query="in_arrears", default=False),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            accounts = await ledger.list_accounts(conn, plaza, in_arrears=in_arrears)
        # Sorted by what is owed, which moves, so the cursor is a plain offset.
        start = int(cursor) if cursor and cursor.isdigit() else 0
        window = accounts[start:start + limit]
        more = start + limit < len(accounts)
        return Page(items=[_summary(*a) for a in window], next=str(start + limit) if more else None)

    @get("/{unit:str}", summary="查看单元账户 / Show a unit's account",
         description="单元的全部流水、欠款（负数为余额）、装修押金、各项预付余额，以及按先到期先冲抵算出的未结清项。 / "
                     "The unit's entries, what it owes (negative: a credit), the renovation deposit held, each "
                     "prepaid balance, and the open items left after credits paid the oldest due first. "
                     "An occupant's token reads its own unit's account only (another unit: 404).")
    async def show(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL) -> AccountView:
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            account = await ledger.load_account(conn, plaza, unit)
        return AccountView(
            unit=account.unit, owed_fen=account.owed_fen, currency="CNY",
            entries=[_entry(e) for e in account.entries], credit_fen=max(0, -account.owed_fen),
            deposit_held_fen=account.deposit_held_fen, prepaid_fen=account.prepaid_fen,
            open_items=[_open_item(i) for i in account.open_items],
        )

    @post("/{unit:str}/payments", status_code=201, summary="收款 / Take a payment",
          description="记一笔收款并发出 PaymentReceived；必须带 Idempotency-Key，重试返回第一次的结果，不会重复收款。 / "
                      "Posts a payment and announces PaymentReceived; needs an Idempotency-Key, and a retry "
                      "answers the first result instead of taking the money twice.")
    async def pay(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        data: Annotated[ledger.PaymentCreate, Body(examples=[PAYMENT_EXAMPLE])],
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = ACTOR,
    ) -> ledger.PaymentAccepted:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await ledger.receive_payment(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{unit:str}/refunds", status_code=201, summary="申请退款 / Ask for a refund",
          description="申请从单元的余额（多缴部分）中退款，不能超过余额；必须带 Idempotency-Key。申请待审批（pending），"
                      "另一人审批后才记账并发出 RefundIssued（四眼原则）。 / Asks to pay money back out of the "
                      "unit's credit, never more than it; needs an Idempotency-Key. The request is pending: "
                      "nothing is posted or announced until a second person approves it (four eyes).")
    async def refund(
        self, plaza: FromPath[str], unit: FromPath[str],
        data: Annotated[ledger.RefundCreate, Body(examples=[REFUND_EXAMPLE])],
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None, description=MONEY_KEY),
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await ledger.request_refund(tx, plaza, unit, data, actor=actor, idempotency_key=idempotency_key)

    @post("/{unit:str}/refunds/{request_id:str}/approve", status_code=200, summary="审批退款 / Approve a refund",
          description="第二人审批退款申请：按当前余额记账并发出 RefundIssued。申请人本人审批 403（四眼原则），"
                      "余额已不足 422，已审批或已驳回 409。 / A second person approves a refund: it is posted "
                      "against the credit as it is now and RefundIssued announced. The asker approving their own "
                      "answers 403 (four eyes), a credit now too small 422, a decided request 409.")
    async def approve_refund(
        self, plaza: FromPath[str], unit: FromPath[str], request_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        return await _decide(runtime, ledger.decide_refund, plaza, unit, request_id, actor, approve=True)

    @post("/{unit:str}/refunds/{request_id:str}/reject", status_code=200, summary="驳回退款 / Reject a refund",
          description="驳回退款申请（申请人也可撤回），不记账；已审批或已驳回 409。 / Rejects a refund request (the "
                      "asker may withdraw their own); nothing is posted. A decided request answers 409.")
    async def reject_refund(
        self, plaza: FromPath[str], unit: FromPath[str], request_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        return await _decide(runtime, ledger.decide_refund, plaza, unit, request_id, actor, approve=False)

    @post("/{unit:str}/corrections", status_code=201, summary="申请冲正 / Ask to correct an entry",
          description="申请整笔冲销一条费用、物业费、收款或退款流水，需写明原因；由另一人审批后才记账并发出 "
                      "EntryCorrected（四眼原则）。冲正本身不能再冲正，一条流水只能冲正一次，已有待审批的冲正 409。 / "
                      "Asks to reverse one charge, fee, payment or refund in full, with a reason; it is posted "
                      "and EntryCorrected announced once a second person approves (four eyes). A correction "
                      "is never corrected, an entry is corrected once, and one with a correction pending answers 409.")
    async def correct(
        self, plaza: FromPath[str], unit: FromPath[str],
        data: Annotated[ledger.CorrectionCreate, Body(examples=[CORRECTION_EXAMPLE])],
        runtime: Runtime,
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await ledger.request_correction(tx, plaza, unit, data, actor=actor)

    @post("/{unit:str}/corrections/{request_id:str}/approve", status_code=200, summary="审批冲正 / Approve a correction",
          description="第二人审批冲正申请：记入冲正流水并发出 EntryCorrected（审批人即调用者）。申请人本人审批 403"
                      "（四眼原则），已审批或已驳回 409。 / A second person approves a correction: the reversing "
                      "entry is posted and EntryCorrected announced, the caller as its approver. The asker "
                      "approving their own answers 403 (four eyes), a decided request 409.")
    async def approve_correction(
        self, plaza: FromPath[str], unit: FromPath[str], request_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        return await _decide(runtime, ledger.decide_correction, plaza, unit, request_id, actor, approve=True)

    @post("/{unit:str}/corrections/{request_id:str}/reject", status_code=200, summary="驳回冲正 / Reject a correction",
          description="驳回冲正申请（申请人也可撤回），不记账；已审批或已驳回 409。 / Rejects a correction request "
                      "(the asker may withdraw their own); nothing is posted. A decided request answers 409.")
    async def reject_correction(
        self, plaza: FromPath[str], unit: FromPath[str], request_id: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> ledger.RequestView:
        return await _decide(runtime, ledger.decide_correction, plaza, unit, request_id, actor, approve=False)


async def _decide(runtime: Runtime, decide, plaza: str, unit: str, request_id: str, actor: str, *,
                  approve: bool) -> ledger.RequestView:
    plaza_token(plaza)
    async with runtime.transaction() as tx:
        return await decide(tx, plaza, unit, request_id, actor=actor, approve=approve)


class LedgerRequestController(Controller):
    path = "/v1/plazas/{plaza:str}/ledger-requests"
    tags = ["accounts"]

    @get("/", summary="待审批的退款与冲正 / List refunds and corrections to decide",
         description="广场的退款与冲正申请，按 id 分页；status=pending 只列待审批的，kind 为 refund 或 correction。 / "
                     "The plaza's refund and correction requests in id order, a page at a time; status=pending "
                     "lists those waiting for a second person, kind is refund or correction.")
    async def index(
        self, plaza: FromPath[str], runtime: Runtime,
        status: Literal["pending", "approved", "rejected"] | None = Parameter(query="status", default=None),
        kind: Literal["refund", "correction"] | None = Parameter(query="kind", default=None),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await ledger.list_requests(conn, plaza, kind=kind, status=status, after=cursor, limit=limit)
        return Page.of([ledger.request_view(r) for r in rows], limit)
