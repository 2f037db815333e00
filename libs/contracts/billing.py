"""Events on the BILLING stream (produced by billing)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts.common import *  # noqa: F403  (the shared value objects and literals)
from libs.contracts.envelope import Event

class ChargePosted(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    work_order_id: str
    line_id: str
    description: str
    amount_fen: Fen
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "charge_posted")


class PaymentReceived(Event, frozen=True, kw_only=True, tag=True):
    unit: str
    entry_id: str
    amount_fen: Fen
    method: PaymentMethod
    reference: str | None = None
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "payment_received")


class RefundIssued(Event, frozen=True, kw_only=True, tag=True):
    """Money handed back to the unit out of its credit; ``entry_id`` is the refund's id."""

    unit: str
    entry_id: str
    amount_fen: Fen
    method: PaymentMethod
    reason: str | None = None
    reference: str | None = None
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "refund_issued")


class EntryCorrected(Event, frozen=True, kw_only=True, tag=True):
    """A ledger entry reversed in full by an approved correction; ``entry_id`` is the
    reversing entry's id, ``kind`` its kind (correction_credit or correction_debit)."""

    unit: str
    entry_id: str
    reverses_entry_id: str
    kind: str
    amount_fen: Fen
    reason: str
    approver: str
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "account", "entry_corrected")


class DepositHeld(Event, frozen=True, kw_only=True, tag=True):
    """A renovation deposit (装修押金) taken on the unit's account when its permit is approved."""

    unit: str
    entry_id: str
    permit_id: str
    amount_fen: Fen
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "deposit", "held")


class DepositRefunded(Event, frozen=True, kw_only=True, tag=True):
    """A permit settled: ``amount_fen`` of the ``held_fen`` deposit goes back, less the
    deduction (which may exceed the deposit: the rest is charged; ``held_fen`` 0: a permit
    without a deposit, its whole deduction charged). ``entry_id`` is the refund's entry,
    None when the whole deposit was kept."""

    unit: str
    entry_id: str | None = None
    permit_id: str
    amount_fen: Fen
    held_fen: Fen
    deduction_fen: Fen
    deduction_reason: str | None = None
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "deposit", "refunded")


class InvoiceIssued(Event, frozen=True, kw_only=True, tag=True):
    """A periodic property-fee invoice (物业费), one per unit per period."""

    unit: str
    invoice_id: str
    entry_id: str
    period: str
    amount_fen: Fen
    due_date: dt.date
    use: str
    area_m2: Area
    rate_fen: Fen
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "invoice", "issued")


class PrepaidBalanceLow(Event, frozen=True, kw_only=True, tag=True):
    """A prepaid utility balance fell under the plaza's warning threshold."""

    unit: str
    utility: Literal["electricity", "water"]
    balance_fen: int  # a balance: below zero once more was used than paid for
    threshold_fen: Fen
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "prepaid", "balance_low")


class DunningReminderIssued(Event, frozen=True, kw_only=True, tag=True):
    """A dunning (催缴) reminder: a follow-up call task for the customer-service desk."""

    unit: str
    task_id: str
    entry_id: str
    invoice_id: str | None = None
    stage: str
    days_past_due: Quantity
    open_fen: Fen
    due_date: dt.date
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "dunning", "reminder_issued")


class ArrearsEscalated(Event, frozen=True, kw_only=True, tag=True):
    """Long-term arrears (长期无法追回, 180+ days past due) raised to the property manager."""

    unit: str
    entry_id: str
    invoice_id: str | None = None
    days_past_due: Quantity
    open_fen: Fen
    owed_fen: int  # the account's balance
    level: Literal["manager"] = "manager"
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "arrears", "escalated")


class PublicShareCharged(Event, frozen=True, kw_only=True, tag=True):
    """A unit's share of a period's public-share costs (公摊费用), charged to its account
    once per period."""

    unit: str
    entry_id: str
    period: str
    amount_fen: Fen
    due_date: dt.date
    area_m2: Area
    rule: str = "area"
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "public_share", "charged")


class PublicShareCost(msgspec.Struct, frozen=True, kw_only=True):
    """A shared cost of the common areas, with the documents that evidence it."""

    category: str
    amount_fen: Fen
    description: str | None = None
    documents: list[str] = []


class PublicShareLine(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    area_m2: Area
    share_fen: Fen


class PublicShareDisclosed(Event, frozen=True, kw_only=True, tag=True):
    """A period's public-share costs were charged: the whole table, for the financial
    disclosure (财务公开) to every occupant."""

    period: str
    rule: str
    total_fen: Fen
    costs: list[PublicShareCost]
    lines: list[PublicShareLine]
    currency: str = "CNY"

    def subject_tokens(self) -> tuple[str, ...]:
        return (self.plaza_id, "public_share", "disclosed")


# Every event this stream carries; the stream's tagged union is built from it.
EVENTS: tuple[type[Event], ...] = (
    ChargePosted, PaymentReceived, InvoiceIssued, PrepaidBalanceLow, DunningReminderIssued, ArrearsEscalated,
    RefundIssued, DepositHeld, DepositRefunded, EntryCorrected, PublicShareCharged, PublicShareDisclosed,
)
