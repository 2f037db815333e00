"""Billing's use cases against a real SQLite database (no bus, no HTTP): random sequences
of charges, payments and refunds with duplicated and reordered events; the fee run; the
payment retry; the dunning hold. Small hypothesis runs keep the suite fast."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.contracts.events import (
    ChargeLine, Occupant, RenovationApproved, RenovationClosed, UnitRegistered, WorkOrderClosed, WorkOrderCreated,
)
from libs.runtime import idempotency
from libs.runtime.db import Database
from libs.runtime.errors import Conflict, InvalidInput
from libs.runtime.foureyes import FourEyesRefused
from libs.runtime.uow import Tx
from services.billing import facts, handlers, tables
from services.billing.dunning import services as dunning
from services.billing.fees import services as fees
from services.billing.fees.domain import Rates
from services.billing.ledger import domain
from services.billing.ledger import services as ledger
from services.billing.ledger import store
from tests.support.archive_facts import plaza_registered, unit_registered
from tests.support.harness import make_tables

UTC = dt.timezone.utc


@asynccontextmanager
async def billing_db():
    with tempfile.TemporaryDirectory() as d:
        db = Database(f"sqlite+aiosqlite:///{d}/billing.db")
        await make_tables(db, tables.metadata)
        try:
            yield db
        finally:
            await db.dispose()


@asynccontextmanager
async def tx_of(db):
    async with db.write() as conn:
        yield Tx(conn, tables.outbox, tables.inbox)


async def register(db, unit: str, *, area=100.0, use="shop", occupancy_date=None):
    event = UnitRegistered(plaza_id="p1", correlation_id="seed", unit=unit, revision=1, area_m2=area, use=use,
                           occupant=Occupant(name="Li", kind="merchant"), occupancy_date=occupancy_date)
    async with tx_of(db) as tx:
        await facts.record_archive_facts(tx, [event])


def closing(work_order_id: str, lines: list[tuple[str, int]], *, unit="A-1") -> WorkOrderClosed:
    return WorkOrderClosed(
        plaza_id="p1", correlation_id="c", work_order_id=work_order_id, request_id="r", unit=unit,
        department="engineering", paid=True,
        charge_lines=[ChargeLine(line_id=l, kind="labour", description=l, quantity=1, unit_price_fen=a, amount_fen=a)
                      for l, a in lines],
    )


def complaint(event_cls, **extra):
    """An event of a complaint against the management: the event says the job's kind."""
    return event_cls(plaza_id="p1", correlation_id="c", work_order_id="wo-complaint", request_id="r", unit="A-1",
                     department="cs", kind="complaint", **extra)


async def register_paid(db, unit: str, cash_fen: int) -> None:
    """A registered unit that has paid ``cash_fen`` in cash (a credit to refund or correct)."""
    await register(db, unit)
    async with tx_of(db) as tx:
        await ledger.receive_payment(tx, "p1", unit, ledger.PaymentCreate(amount_fen=cash_fen, method="cash"),
                                       actor="t", idempotency_key=uuid.uuid4().hex)


async def entries(db, unit="A-1"):
    async with db.read() as conn:
        return await store.entries_of(conn, "p1", unit)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("close"), st.integers(0, 3), st.integers(1, 4)),  # work order, lines so far
        st.tuples(st.just("pay"), st.integers(1, 50_000), st.sampled_from(["k1", "k2", "k3", None])),
        st.tuples(st.just("refund"), st.integers(1, 50_000), st.sampled_from(["r1", "r2", None])),
    ),
    max_size=18,
)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.randoms(use_true_random=False))
async def test_random_histories_keep_the_ledger_exact(history, rng):
    amounts = {f"wo{w}:l{i}": 1000 * (w + 1) + i for w in range(4) for i in range(4)}
    events = []
    for op in history:
        if op[0] == "close":
            event = closing(f"wo{op[1]}", [(f"wo{op[1]}:l{i}", amounts[f"wo{op[1]}:l{i}"]) for i in range(op[2])])
            events += [event] * rng.randint(1, 2)  # redelivered past the inbox
        else:
            events.append(op)
    rng.shuffle(events)
    accepted_payments: dict[str, int] = {}
    async with billing_db() as db:
        await register(db, "A-1")
        for item in events:
            async with tx_of(db) as tx:
                if isinstance(item, WorkOrderClosed):
                    await ledger.post_charges(tx, item)
                elif item[0] == "pay":
                    body = ledger.PaymentCreate(amount_fen=item[1], method="cash")
                    try:
                        paid = await ledger.receive_payment(tx, "p1", "A-1", body, actor="t",
                                                              idempotency_key=item[2] or uuid.uuid4().hex)
                        accepted_payments[paid.id] = paid.amount_fen
                    except idempotency.IdempotencyMismatch:
                        pass
                else:
                    body = ledger.RefundCreate(amount_fen=item[1], method="cash")
                    try:
                        asked = await ledger.request_refund(tx, "p1", "A-1", body, actor="t",
                                                            idempotency_key=item[2] or uuid.uuid4().hex)
                        await ledger.decide_refund(tx, "p1", "A-1", asked.id, actor="fin", approve=True)
                    except idempotency.IdempotencyMismatch:
                        pass  # the same key with another amount: refused, nothing written
                    except Conflict as exc:
                        assert exc.field == "status"  # a replayed ask: its refund is decided already
                    except InvalidInput as exc:
                        assert exc.field == "amount_fen"
        rows = await entries(db)
        async with db.read() as conn:
            account = await ledger.load_account(conn, "p1", "A-1")
    # Balance equals the sum of the entries.
    assert account.owed_fen == sum(domain.DIRECTION[r.kind] * r.amount_fen for r in rows)
    # No work-order line charged twice, and every line of every closing is there.
    lines = [r.line_id for r in rows if r.kind == "charge"]
    assert len(lines) == len(set(lines))
    expected = {l.line_id for e in events if isinstance(e, WorkOrderClosed) for l in e.charge_lines}
    assert set(lines) == expected
    # No accepted payment lost; none recorded twice.
    assert {r.id: r.amount_fen for r in rows if r.kind == "payment"} == accepted_payments
    # Refunds never drove the account past its credit.
    assert sum(r.amount_fen for r in rows if r.kind == "refund") <= sum(accepted_payments.values())


async def test_the_fee_run_twice_for_a_period_creates_nothing_the_second_time():
    async with billing_db() as db:
        await register(db, "A-1", area=80.5, use="shop")
        await register(db, "R-1", area=100.0, use="residence")
        await register(db, "O-1", area=31.0, use="office", occupancy_date="2026-12-17")
        async with tx_of(db) as tx:
            await fees.set_fee_rates(tx, "p1", Rates(shop=800, office=600, residence=250), actor="t")
        async with tx_of(db) as tx:
            first = await fees.run_fees(tx, "p1", fees.FeeRun(period="2026-12"), actor="t")
            assert len(tx.emitted) == 3
        async with tx_of(db) as tx:
            second = await fees.run_fees(tx, "p1", fees.FeeRun(period="2026-12"), actor="t")
            assert tx.emitted == []
        # The office moved in on 17 December: 15 of 31 days of 600 fen × 31 m².
        assert (first.invoiced, first.already_invoiced, first.total_fen) == (3, 0, 64_400 + 25_000 + 9_000)
        assert (second.invoiced, second.already_invoiced, second.total_fen) == (0, 3, 0)
        fee_entries = [r for r in await entries(db) if r.kind == "fee"]
        assert [(f.amount_fen, f.due_date) for f in fee_entries] == [(64_400, dt.date(2026, 12, 16))]


async def test_a_payment_retried_after_a_timeout_is_recorded_once_and_a_changed_amount_is_refused():
    async with billing_db() as db:
        await register(db, "A-1")
        body = ledger.PaymentCreate(amount_fen=1500, method="alipay", reference="ALI-9")
        async with tx_of(db) as tx:
            first = await ledger.receive_payment(tx, "p1", "A-1", body, actor="t", idempotency_key="till-1")
        # The client never saw the answer and tries again with the same key.
        async with tx_of(db) as tx:
            again = await ledger.receive_payment(tx, "p1", "A-1", body, actor="t", idempotency_key="till-1")
        assert again == first
        changed = ledger.PaymentCreate(amount_fen=1600, method="alipay", reference="ALI-9")
        with pytest.raises(idempotency.IdempotencyMismatch) as refused:
            async with tx_of(db) as tx:
                await ledger.receive_payment(tx, "p1", "A-1", changed, actor="t", idempotency_key="till-1")
        assert refused.value.field == "Idempotency-Key" and "till-1" in refused.value.detail
        assert [(r.kind, r.amount_fen) for r in await entries(db)] == [("payment", 1500)]


async def test_dunning_holds_a_unit_with_an_open_complaint_until_it_closes():
    async with billing_db() as db:
        await register(db, "A-1")
        await register(db, "B-1")
        async with tx_of(db) as tx:
            await ledger.post_charges(tx, closing("wo-a", [("a1", 5000)], unit="A-1"))
            await ledger.post_charges(tx, closing("wo-b", [("b1", 7000)], unit="B-1"))
            await dunning.follow_complaints(tx, [complaint(WorkOrderCreated, text="nobody answers")], closed=False)
        later = dt.datetime.now(UTC) + dt.timedelta(days=50)
        async with tx_of(db) as tx:
            held = await dunning.run_dunning(tx, "p1", later)
        assert (held.reminders, held.held_units) == (1, ["A-1"])
        async with tx_of(db) as tx:
            again = await dunning.run_dunning(tx, "p1", later)
        assert again.reminders == 0
        async with tx_of(db) as tx:
            await dunning.follow_complaints(tx, [complaint(WorkOrderClosed, paid=False)], closed=True)
            released = await dunning.run_dunning(tx, "p1", later)
            assert [e.unit for e in tx.emitted] == ["A-1"]
        assert (released.reminders, released.held_units) == (1, [])


class _Runtime:
    """Just what the periodic job needs of the runtime: reads and transactions."""

    def __init__(self, db) -> None:
        self.db = db
        self.emitted: list = []

    def read(self):
        return self.db.read()

    @asynccontextmanager
    async def transaction(self):
        async with tx_of(self.db) as tx:
            yield tx
        self.emitted += tx.emitted


async def test_the_periodic_dunning_run_escalates_long_arrears_once(monkeypatch):
    async with billing_db() as db:
        await register(db, "A-1")
        async with tx_of(db) as tx:
            await ledger.post_charges(tx, closing("wo-a", [("a1", 5000)]))
        runtime = _Runtime(db)
        monkeypatch.setattr(dunning, "now", lambda: dt.datetime.now(UTC) + dt.timedelta(days=200))
        await dunning.run_dunning_everywhere(runtime)
        await dunning.run_dunning_everywhere(runtime)
    assert [(type(e).__name__, getattr(e, "stage", None)) for e in runtime.emitted] == [
        ("DunningReminderIssued", "180+"), ("ArrearsEscalated", None)]
    assert runtime.emitted[1].owed_fen == 5000 and runtime.emitted[1].level == "manager"


async def renovation_events(db, events) -> list:
    """Applies renovation approvals and closings in turn through billing's handler, each in
    its own transaction, once archive's facts about their units are kept; what they announced."""
    async with tx_of(db) as tx:
        await facts.record_archive_facts(tx, [plaza_registered("p1"), *(
            unit_registered("p1", unit) for unit in sorted({e.unit for e in events}))])
    emitted = []
    for event in events:
        async with tx_of(db) as tx:
            await handlers.on_intake_event(tx, event)
        emitted += tx.emitted
    return emitted


async def test_a_renovation_close_arriving_before_its_approval_still_settles_once():
    approved = RenovationApproved(plaza_id="p1", correlation_id="r", unit="A-1", permit_id="pm-9", deposit_fen=300_000,
                                  valid_from=dt.date(2026, 12, 1), valid_until=dt.date(2027, 1, 31))
    closed_ = RenovationClosed(plaza_id="p1", correlation_id="r", unit="A-1", permit_id="pm-9", deduction_fen=400_000)
    async with billing_db() as db:
        emitted = await renovation_events(db, (closed_, approved, approved, closed_))  # reordered and redelivered
        async with db.read() as conn:
            account = await ledger.load_account(conn, "p1", "A-1")
    # The deduction is above the deposit: all of it is kept and the rest is owed.
    assert (account.deposit_held_fen, account.owed_fen) == (0, 100_000)
    assert sorted((e.kind, e.amount_fen) for e in account.entries) == [
        ("charge", 400_000), ("deposit_applied", 300_000), ("deposit_held", 300_000)]
    # Announced once each, whatever the redelivery; nothing comes back of a deposit all kept.
    assert [(type(e).__name__, e.permit_id, e.amount_fen) for e in emitted] == [
        ("DepositHeld", "pm-9", 300_000), ("DepositRefunded", "pm-9", 0)]
    refunded = emitted[1]
    assert (refunded.held_fen, refunded.deduction_fen, refunded.deduction_reason, refunded.entry_id) == (
        300_000, 400_000, None, None)
    assert refunded.causation_id == approved.id  # the approval arrived last and settled the permit


async def test_a_permit_without_a_deposit_announces_its_deduction_once():
    approved = RenovationApproved(plaza_id="p1", correlation_id="r", unit="A-1", permit_id="pm-0", deposit_fen=0,
                                  valid_from=dt.date(2026, 12, 1), valid_until=dt.date(2027, 1, 31))
    closed_ = RenovationClosed(plaza_id="p1", correlation_id="r", unit="A-1", permit_id="pm-0", deduction_fen=80_000,
                               deduction_reason="fire door blocked")
    bare = RenovationApproved(plaza_id="p1", correlation_id="r", unit="A-2", permit_id="pm-00", deposit_fen=0,
                              valid_from=dt.date(2026, 12, 1), valid_until=dt.date(2027, 1, 31))
    async with billing_db() as db:
        emitted = await renovation_events(db, (approved, closed_, closed_, bare, RenovationClosed(
            plaza_id="p1", correlation_id="r", unit="A-2", permit_id="pm-00", deduction_fen=0)))
        async with db.read() as conn:
            account = await ledger.load_account(conn, "p1", "A-1")
    assert account.owed_fen == 80_000 and [(e.kind, e.amount_fen) for e in account.entries] == [("charge", 80_000)]
    # The charge reaches the unit's timeline once; a permit with neither deposit nor
    # deduction settles without a word.
    assert [(type(e).__name__, e.permit_id, e.held_fen, e.amount_fen, e.deduction_fen, e.deduction_reason)
            for e in emitted] == [("DepositRefunded", "pm-0", 0, 0, 80_000, "fire door blocked")]


async def test_a_refund_replayed_with_its_key_is_asked_once_and_announced_once_on_approval():
    async with billing_db() as db:
        await register_paid(db, "A-1", 5000)
        body = ledger.RefundCreate(amount_fen=1200, method="transfer", reason="overpaid")
        asked, emitted = [], []
        for _ in range(2):
            async with tx_of(db) as tx:
                asked.append(await ledger.request_refund(tx, "p1", "A-1", body, actor="clerk-li",
                                                         idempotency_key="rf-1"))
            emitted += tx.emitted
        assert asked[0] == asked[1] and asked[0].status == "pending" and emitted == []
        assert [e.kind for e in await entries(db)] == ["payment"]  # nothing paid out yet
        async with tx_of(db) as tx:
            approved = await ledger.decide_refund(tx, "p1", "A-1", asked[0].id, actor="fin-zhou", approve=True)
        emitted = tx.emitted
        with pytest.raises(Conflict):
            async with tx_of(db) as tx:
                await ledger.decide_refund(tx, "p1", "A-1", asked[0].id, actor="fin-zhou", approve=True)
        assert tx.emitted == []
        refund = next(e for e in await entries(db) if e.kind == "refund")
    assert (approved.status, approved.decided_by, approved.entry_id, approved.credit_fen) == (
        "approved", "fin-zhou", refund.id, 3800)
    assert (refund.actor, refund.approver) == ("clerk-li", "fin-zhou")
    assert [(type(e).__name__, e.plaza_id, e.unit, e.entry_id, e.amount_fen, e.method, e.reason, e.actor)
            for e in emitted] == [
        ("RefundIssued", "p1", "A-1", refund.id, 1200, "transfer", "overpaid", "fin-zhou")]


async def test_whoever_asked_for_a_refund_cannot_approve_it():
    async with billing_db() as db:
        await register_paid(db, "A-1", 5000)
        async with tx_of(db) as tx:
            asked = await ledger.request_refund(tx, "p1", "A-1", ledger.RefundCreate(amount_fen=500, method="cash"),
                                                actor="clerk-li", idempotency_key="rf-own")
        with pytest.raises(FourEyesRefused, match="^four eyes: ") as refused:
            async with tx_of(db) as tx:
                await ledger.decide_refund(tx, "p1", "A-1", asked.id, actor="clerk-li", approve=True)
        assert refused.value.status == 403 and tx.emitted == []
        assert [e.kind for e in await entries(db)] == ["payment"]
        async with tx_of(db) as tx:  # the asker may withdraw it
            withdrawn = await ledger.decide_refund(tx, "p1", "A-1", asked.id, actor="clerk-li", approve=False)
        assert (withdrawn.status, tx.emitted) == ("rejected", [])


async def test_a_correction_is_announced_once_on_approval_and_never_by_its_asker():
    async with billing_db() as db:
        await register_paid(db, "A-1", 5000)
        payment = (await entries(db))[0]
        body = ledger.CorrectionCreate(entry_id=payment.id, reason="wrong unit")
        async with tx_of(db) as tx:
            asked = await ledger.request_correction(tx, "p1", "A-1", body, actor="clerk-li")
        assert (asked.status, asked.amount_fen, tx.emitted) == ("pending", 5000, [])
        with pytest.raises(Conflict):  # one correction of an entry waits at a time
            async with tx_of(db) as tx:
                await ledger.request_correction(tx, "p1", "A-1", body, actor="clerk-wu")
        with pytest.raises(FourEyesRefused, match="^four eyes: "):
            async with tx_of(db) as tx:
                await ledger.decide_correction(tx, "p1", "A-1", asked.id, actor="clerk-li", approve=True)
        assert tx.emitted == [] and len(await entries(db)) == 1
        async with tx_of(db) as tx:
            accepted = await ledger.decide_correction(tx, "p1", "A-1", asked.id, actor="mgr-zhao", approve=True)
        emitted = tx.emitted
        with pytest.raises(Conflict):
            async with tx_of(db) as tx:
                await ledger.request_correction(tx, "p1", "A-1", body, actor="clerk-li")
        assert tx.emitted == []
    assert (accepted.status, accepted.owed_fen) == ("approved", 0)
    assert [(type(e).__name__, e.plaza_id, e.unit, e.entry_id, e.reverses_entry_id, e.kind, e.amount_fen, e.reason,
             e.approver, e.actor) for e in emitted] == [
        ("EntryCorrected", "p1", "A-1", accepted.entry_id, payment.id, "correction_debit", 5000, "wrong unit",
         "mgr-zhao", "clerk-li")]
