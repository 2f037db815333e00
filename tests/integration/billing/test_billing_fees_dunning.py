"""Billing's round-2 features through HTTP and the bus (real nats-server, SQLite and
PostgreSQL): fee runs, prepaid utilities, refunds and corrections, renovation deposits,
the dunning hold on an open complaint, the monthly report in Excel."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import msgspec

import pytest

from libs.contracts.events import (
    DepositHeld,
    DepositRefunded,
    DunningReminderIssued,
    EntryCorrected,
    InvoiceIssued,
    PlazaRegistered,
    PrepaidBalanceLow,
    RefundIssued,
    RenovationApproved,
    RenovationClosed,
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderReopened,
    decode,
)
from libs.contracts import new_event_id
from tests.support.harness import as_actor, client_for, eventually, service_settings
from services.billing.dunning import services as dunning
from services.billing.app import create_app
from services.billing.settings import Settings
from tests.support.archive_facts import register
from tests.support.archive_facts import unit_registered as registered_unit
from tests.integration.billing.test_billing_ledger import closed, line, unit_registered

P = "/v1/plazas/p1"
ACCOUNT = f"{P}/accounts/A-203"


@pytest.fixture
async def billing(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with client_for(create_app(settings)) as client:
        await register(bus, "p1", "A-203")
        await eventually(lambda: _ok(client, ACCOUNT), what="billing to learn unit A-203")
        yield client


async def _ok(client, path):
    r = await client.get(path)
    return r.json() if r.status_code == 200 else None


async def _events(bus, cls, n=1):
    found = [e for e in (decode(m.data, "billing") for m in await bus.messages("BILLING")) if isinstance(e, cls)]
    return found if len(found) >= n else None


async def _settled(bus, stream, durable):
    return await bus.caught_up(stream, durable)


async def test_the_fee_run_twice_invoices_once(billing, bus):
    await bus.publish(unit_registered("A-204", revision=1))
    await eventually(lambda: _ok(billing, f"{P}/accounts/A-204"), what="A-204 known")
    r = await billing.post(f"{P}/fee-runs", json={"period": "2026-12"})
    assert r.status_code == 404 and r.json()["field"] == "fee_rates"
    assert (await billing.put(f"{P}/fee-rates", json={"shop": 800, "office": 600, "residence": 250})).status_code == 200
    assert (await billing.get(f"{P}/fee-rates")).json()["shop"] == 800

    first = (await billing.post(f"{P}/fee-runs", json={"period": "2026-Q4"})).json()
    second = (await billing.post(f"{P}/fee-runs", json={"period": "2026-Q4"})).json()
    assert (first["invoiced"], first["already_invoiced"], first["total_fen"]) == (2, 0, 2 * 3 * 64_000)
    assert (second["invoiced"], second["already_invoiced"], second["total_fen"]) == (0, 2, 0)
    bad = await billing.post(f"{P}/fee-runs", json={"period": "Q4"})
    assert bad.status_code == 422 and bad.json()["field"] == "period"

    invoices = (await billing.get(f"{P}/invoices", params={"period": "2026-Q4"})).json()["items"]
    assert sorted(i["unit"] for i in invoices) == ["A-203", "A-204"]
    assert {i["due_date"] for i in invoices} == {"2026-10-16"}
    issued = await eventually(lambda: _events(bus, InvoiceIssued, 2), what="two InvoiceIssued")
    assert len(issued) == 2
    assert (await billing.get(ACCOUNT)).json()["owed_fen"] == 192_000


async def _approve(billing, asked, approver: str = "fin-zhou") -> dict:
    """The second person's yes to a refund or correction asked for (its response or body)."""
    if not isinstance(asked, dict):
        assert asked.status_code == 201, asked.text
        asked = asked.json()
    assert asked["status"] == "pending"
    kind = "refunds" if asked["kind"] == "refund" else "corrections"
    r = await billing.post(f"{ACCOUNT}/{kind}/{asked['id']}/approve", headers=as_actor(approver))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    return r.json()


async def test_refunds_never_exceed_the_credit_and_corrections_reverse_once(billing, bus):
    await bus.publish(closed([line("l1", 3000)]))
    charge = (await eventually(lambda: _charged(billing), what="the charge"))
    await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 5000, "method": "cash"}, headers={"Idempotency-Key": "pay-1"})

    too_much = await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 2001, "method": "cash"},
                                  headers={"Idempotency-Key": "rf-1"})
    assert too_much.status_code == 422 and too_much.json()["field"] == "amount_fen"
    no_key = await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 100, "method": "cash"})
    assert no_key.status_code == 428 and no_key.json()["field"] == "Idempotency-Key"
    ok = await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 2000, "method": "cash"},
                            headers={"Idempotency-Key": "rf-2", **as_actor("clerk-li")})
    again = await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 2000, "method": "cash"},
                               headers={"Idempotency-Key": "rf-2", **as_actor("clerk-li")})
    assert ok.status_code == again.status_code == 201 and ok.json() == again.json()
    assert (await billing.get(ACCOUNT)).json()["owed_fen"] == -2000  # asked, not paid out
    paid = await _approve(billing, ok)
    assert paid["owed_fen"] == 0 and paid["credit_fen"] == 0 and paid["entry_id"]

    fix = await billing.post(f"{ACCOUNT}/corrections", json={"entry_id": charge["id"], "reason": "billed in error"},
                             headers=as_actor("clerk-li"))
    waiting = await billing.post(f"{ACCOUNT}/corrections", json={"entry_id": charge["id"], "reason": "again"})
    assert waiting.status_code == 409 and waiting.json()["field"] == "entry_id"
    fixed = await _approve(billing, fix, "mgr-zhao")
    assert fixed["reverses_entry_id"] == charge["id"] and fixed["owed_fen"] == -3000
    twice = await billing.post(f"{ACCOUNT}/corrections", json={"entry_id": charge["id"], "reason": "again"})
    assert twice.status_code == 409 and twice.json()["field"] == "entry_id"
    of_fix = await billing.post(f"{ACCOUNT}/corrections", json={"entry_id": fixed["entry_id"], "reason": "undo"})
    assert of_fix.status_code == 422 and of_fix.json()["field"] == "entry_id"
    # The approver is whoever approves: a body naming one is refused.
    named = await billing.post(f"{ACCOUNT}/corrections",
                               json={"entry_id": charge["id"], "reason": "x", "approver": "mgr-zhao"})
    assert named.status_code == 400 and named.json()["field"] == "approver"

    body = (await billing.get(ACCOUNT)).json()
    assert body["owed_fen"] == sum(
        {"charge": 1, "payment": -1, "refund": 1, "correction_credit": -1}[e["kind"]] * e["amount_fen"]
        for e in body["entries"]) == -3000
    correction = [e for e in body["entries"] if e["kind"] == "correction_credit"][0]
    assert (correction["reverses_entry_id"], correction["approver"], correction["actor"]) == (
        charge["id"], "mgr-zhao", "clerk-li")

    # Announced once, for the approved correction only: a later refund's event proves the
    # relay has caught up, so an event for either refused correction would show by then.
    await _approve(billing, await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 100, "method": "cash"},
                                               headers={"Idempotency-Key": "rf-3"}))
    await eventually(lambda: _events(bus, RefundIssued, 2), what="the later RefundIssued")
    corrected = await _events(bus, EntryCorrected, 1) or []
    assert [(e.plaza_id, e.unit, e.entry_id, e.reverses_entry_id, e.kind, e.amount_fen, e.reason, e.approver, e.actor)
            for e in corrected] == [
        ("p1", "A-203", fixed["entry_id"], charge["id"], "correction_credit", 3000, "billed in error", "mgr-zhao",
         "clerk-li")]
    assert [m.subject for m in await bus.messages("BILLING", "plazadesk.billing.p1.account.entry_corrected")] == [
        "plazadesk.billing.p1.account.entry_corrected"]


async def test_a_refund_is_announced_once_for_its_unit_and_a_replay_announces_nothing(billing, bus):
    await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 5000, "method": "cash"}, headers={"Idempotency-Key": "pay-1"})
    body = {"amount_fen": 1200, "method": "wechat", "reason": "overpaid", "reference": "wx-9"}
    ok = await billing.post(f"{ACCOUNT}/refunds", json=body, headers={"Idempotency-Key": "rf-a"})
    again = await billing.post(f"{ACCOUNT}/refunds", json=body, headers={"Idempotency-Key": "rf-a"})
    assert ok.status_code == again.status_code == 201 and ok.json() == again.json()
    first = await _approve(billing, ok)
    # A later refund's event proves the relay has caught up, so a second one for rf-a would show.
    await _approve(billing, await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 300, "method": "cash"},
                                               headers={"Idempotency-Key": "rf-b"}))
    events = await eventually(lambda: _events(bus, RefundIssued, 2), what="two RefundIssued")
    assert len(events) == 2
    issued = next(e for e in events if e.entry_id == first["entry_id"])
    assert (issued.plaza_id, issued.unit, issued.amount_fen, issued.method, issued.reason, issued.reference,
            issued.actor) == ("p1", "A-203", 1200, "wechat", "overpaid", "wx-9", "fin-zhou")
    assert [m.subject for m in await bus.messages("BILLING", "plazadesk.billing.p1.account.refund_issued")] == [
        "plazadesk.billing.p1.account.refund_issued"] * 2


async def test_nothing_is_paid_out_or_corrected_on_the_askers_word_alone(billing, bus):
    await bus.publish(closed([line("l1", 3000)]))
    charge = (await eventually(lambda: _charged(billing), what="the charge"))
    await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 5000, "method": "cash"}, headers={"Idempotency-Key": "pay-1"})
    refund = (await billing.post(f"{ACCOUNT}/refunds", json={"amount_fen": 500, "method": "cash"},
                                 headers={"Idempotency-Key": "rf-own", **as_actor("fin-zhou")})).json()
    fix = (await billing.post(f"{ACCOUNT}/corrections", json={"entry_id": charge["id"], "reason": "typo"},
                              headers=as_actor("fin-zhou"))).json()
    pending = (await billing.get("/v1/plazas/p1/ledger-requests", params={"status": "pending"})).json()["items"]
    assert sorted((r["kind"], r["requested_by"]) for r in pending) == [("correction", "fin-zhou"), ("refund", "fin-zhou")]
    for kind, asked in (("refunds", refund), ("corrections", fix)):
        own = await billing.post(f"{ACCOUNT}/{kind}/{asked['id']}/approve", headers=as_actor("fin-zhou"))
        assert own.status_code == 403 and own.json()["detail"].startswith("four eyes: ")
        assert own.headers["content-type"].startswith("application/problem+json")
    assert (await billing.get(ACCOUNT)).json()["owed_fen"] == -2000  # nothing moved
    rejected = await billing.post(f"{ACCOUNT}/refunds/{refund['id']}/reject", headers=as_actor("fin-wu"))
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["decided_by"]) == (200, "rejected", "fin-wu")
    late = await billing.post(f"{ACCOUNT}/refunds/{refund['id']}/approve", headers=as_actor("fin-wu"))
    assert late.status_code == 409 and late.json()["field"] == "status"
    assert (await billing.post(f"{ACCOUNT}/refunds/{fix['id']}/approve")).status_code == 404  # not a refund
    # A correction approved later still finds its refund request rejected: one event in all.
    await _approve(billing, fix, "mgr-zhao")
    await eventually(lambda: _events(bus, EntryCorrected, 1), what="EntryCorrected")
    assert await _events(bus, RefundIssued, 1) is None


async def _charged(client):
    body = await _ok(client, ACCOUNT)
    charges = [e for e in body["entries"] if e["kind"] == "charge"] if body else []
    return charges[0] if charges else None


async def test_prepaid_recharge_readings_and_low_balance_warning(billing, bus):
    r = await billing.put(f"{P}/prepaid/tariffs/electricity", json={"price_fen": 60, "low_balance_fen": 2000})
    assert r.status_code == 200
    recharge = await billing.post(f"{ACCOUNT}/prepaid/electricity/recharges", json={"amount_fen": 5000, "method": "wechat"},
                                  headers={"Idempotency-Key": "rc-1"})
    assert recharge.status_code == 201 and recharge.json()["balance_fen"] == 5000

    base = (await billing.post(f"{ACCOUNT}/meter-readings", json={"utility": "electricity", "reading": 1000})).json()
    used = (await billing.post(f"{ACCOUNT}/meter-readings", json={"utility": "electricity", "reading": 1050.5})).json()
    assert (base["deduction_fen"], used["deduction_fen"], used["balance_fen"]) == (0, 3030, 1970)
    assert used["low_balance"] is True
    lower = await billing.post(f"{ACCOUNT}/meter-readings", json={"utility": "electricity", "reading": 1049})
    assert lower.status_code == 422 and lower.json()["field"] == "reading"

    body = (await billing.get(ACCOUNT)).json()
    assert body["prepaid_fen"] == {"electricity": 1970} and body["owed_fen"] == 0
    warned = await eventually(lambda: _events(bus, PrepaidBalanceLow), what="PrepaidBalanceLow")
    assert (warned[0].unit, warned[0].balance_fen, warned[0].threshold_fen) == ("A-203", 1970, 2000)
    report = (await billing.get(f"{P}/prepaid/report")).json()["items"]
    assert [(i["unit"], i["readings"], i["consumption"], i["deducted_fen"]) for i in report] == [
        ("A-203", 2, 50.5, 3030)]


async def test_a_renovation_deposit_is_held_apart_and_refunded_less_the_deduction(billing, bus):
    approved = RenovationApproved(plaza_id="p1", correlation_id="r", unit="A-203", permit_id="pm-1",
                                  deposit_fen=500_000, valid_from=dt.date(2026, 12, 1), valid_until=dt.date(2027, 1, 31))
    await bus.publish(approved)
    held = await eventually(lambda: _with(billing, lambda b: b["deposit_held_fen"] == 500_000), what="deposit held")
    assert held["owed_fen"] == 0
    await bus.publish(RenovationClosed(plaza_id="p1", correlation_id="r", unit="A-203", permit_id="pm-1",
                                       deduction_fen=20_000, deduction_reason="damaged lift wall"))
    body = await eventually(lambda: _with(billing, lambda b: b["deposit_held_fen"] == 0), what="deposit released")
    kinds = sorted((e["kind"], e["amount_fen"]) for e in body["entries"])
    assert kinds == [("charge", 20_000), ("deposit_applied", 20_000), ("deposit_held", 500_000),
                     ("deposit_refund", 480_000)]
    assert body["owed_fen"] == 0

    held_events = await eventually(lambda: _events(bus, DepositHeld), what="DepositHeld")
    refunded = await eventually(lambda: _events(bus, DepositRefunded), what="DepositRefunded")
    entries = {e["kind"]: e["id"] for e in body["entries"]}
    assert [(e.unit, e.permit_id, e.amount_fen, e.entry_id, e.causation_id) for e in held_events] == [
        ("A-203", "pm-1", 500_000, entries["deposit_held"], approved.id)]
    assert [(e.unit, e.permit_id, e.amount_fen, e.held_fen, e.deduction_fen, e.deduction_reason, e.entry_id)
            for e in refunded] == [
        ("A-203", "pm-1", 480_000, 500_000, 20_000, "damaged lift wall", entries["deposit_refund"])]


async def _with(client, test):
    body = await _ok(client, ACCOUNT)
    return body if body and test(body) else None


def complaint(event_cls, **extra):
    """An event of the complaint: every work-order event says the job's kind."""
    return event_cls(plaza_id="p1", correlation_id="c", work_order_id="wo-complaint", request_id="rq",
                     unit="A-203", department="cs", kind="complaint", **extra)


async def test_dunning_is_held_while_a_complaint_is_open(billing, bus):
    await bus.publish(complaint(WorkOrderCreated, text="management ignores the leak"))
    await bus.publish(closed([line("l1", 8000)]))
    await eventually(lambda: _charged(billing), what="the charge")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-created"), what="complaint recorded")
    now = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=60)).isoformat()

    held = (await billing.post(f"{P}/dunning-runs", json={"now": now})).json()
    assert (held["reminders"], held["held_units"]) == (0, ["A-203"])
    assert (await billing.get(f"{P}/dunning/tasks")).json()["items"] == []
    arrears = (await billing.get(f"{P}/arrears", params={"as_of": now[:10]})).json()
    assert arrears["units"][0]["dunning_held"] is True and arrears["totals"]["30-59"] == 8000

    await bus.publish(complaint(WorkOrderClosed, paid=False))
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="complaint closed")
    run = (await billing.post(f"{P}/dunning-runs", json={"now": now})).json()
    repeat = (await billing.post(f"{P}/dunning-runs", json={"now": now})).json()
    assert (run["reminders"], run["held_units"], repeat["reminders"]) == (1, [], 0)

    tasks = (await billing.get(f"{P}/dunning/tasks", params={"status": "open"})).json()["items"]
    assert [(t["unit"], t["stage"], t["open_fen"]) for t in tasks] == [("A-203", "30-59", 8000)]
    done = await billing.post(f"{P}/dunning/tasks/{tasks[0]['id']}/outcome", json={"outcome": "promised_to_pay"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    issued = await eventually(lambda: _events(bus, DunningReminderIssued), what="DunningReminderIssued")
    assert (issued[0].task_id, issued[0].unit) == (tasks[0]["id"], "A-203")


async def test_a_reopened_complaint_holds_dunning_again_until_it_closes_again(billing, bus):
    await bus.publish(closed([line("l1", 8000)]))
    await bus.publish(complaint(WorkOrderCreated, text="management ignores the leak"))
    await bus.publish(complaint(WorkOrderClosed, paid=False))
    await eventually(lambda: _charged(billing), what="the charge")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-created"), what="complaint recorded")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="complaint closed")
    day_60 = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=60)).isoformat()
    day_100 = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=100)).isoformat()
    first = (await billing.post(f"{P}/dunning-runs", json={"now": day_60})).json()
    assert (first["reminders"], first["held_units"]) == (1, [])

    # The return visit is unsatisfied: dispatch reopens the complaint (second dispatch). A
    # late copy of its first closing, and the reopening twice, change nothing.
    reopened = complaint(WorkOrderReopened, reopen_count=1, reason="still leaking")
    await bus.publish(reopened)
    await bus.publish(msgspec.structs.replace(complaint(WorkOrderClosed, paid=False), id=new_event_id()))
    await bus.publish(msgspec.structs.replace(reopened, id=new_event_id()))
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-reopened"), what="complaint reopened")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="the late closing")
    arrears = (await billing.get(f"{P}/arrears", params={"as_of": day_100[:10]})).json()
    assert arrears["units"][0]["dunning_held"] is True
    held = (await billing.post(f"{P}/dunning-runs", json={"now": day_100})).json()
    assert (held["reminders"], held["held_units"]) == (0, ["A-203"])

    await bus.publish(complaint(WorkOrderClosed, paid=False, reopen_count=1))
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="closed again")
    released = (await billing.post(f"{P}/dunning-runs", json={"now": day_100})).json()
    assert (released["reminders"], released["held_units"]) == (1, [])
    tasks = (await billing.get(f"{P}/dunning/tasks", params={"status": "open"})).json()["items"]
    assert sorted(t["stage"] for t in tasks) == ["30-59", "60-89"]


# 07:30 on 1 December in Shanghai, still 30 November in UTC.
EARLY_ON_THE_1ST = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone.utc)


async def _report(client, plaza: str, month: str) -> dict:
    r = await client.get(f"/v1/plazas/{plaza}/reports/monthly", params={"month": month})
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_monthly_report_counts_the_plazas_own_days(billing, bus):
    await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Shanghai", timezone="Asia/Shanghai"))
    await bus.publish(PlazaRegistered(plaza_id="p2", correlation_id="seed", name="New York",
                                      timezone="America/New_York"))
    await bus.publish(registered_unit("p2", "A-203"))
    await eventually(lambda: _settled(bus, "ARCHIVE", "billing-archive"), what="billing to learn the plazas")
    await bus.publish(closed([line("early", 10_000)], occurred_at=EARLY_ON_THE_1ST))
    # 03:00 UTC on 1 December is the evening of 30 November in New York.
    evening = msgspec.structs.replace(closed([line("evening", 5_000)], occurred_at=dt.datetime(
        2026, 12, 1, 3, tzinfo=dt.timezone.utc)), plaza_id="p2")
    await bus.publish(evening)
    charge = await eventually(lambda: _charged(billing), what="the charge")
    await eventually(lambda: _settled(bus, "DISPATCH", "billing-work-order-closed"), what="both charges")

    assert (await _report(billing, "p1", "2026-12"))["billed_fen"] == 10_000
    assert (await _report(billing, "p1", "2026-11"))["billed_fen"] == 0
    assert (await _report(billing, "p2", "2026-11"))["billed_fen"] == 5_000
    assert (await _report(billing, "p2", "2026-12"))["billed_fen"] == 0
    # It falls due fifteen days after the 1st, the plaza's day it was charged on.
    assert charge["due_date"] == "2026-12-16"
    november = await _report(billing, "p1", "2026-11")
    assert november["arrears_as_of"] == "2026-11-30"


async def test_dunning_counts_days_past_due_in_the_plazas_days(billing, bus, monkeypatch):
    noon_on_the_1st = dt.datetime(2026, 12, 1, 4, tzinfo=dt.timezone.utc)
    await bus.publish(closed([line("l1", 8000)], occurred_at=noon_on_the_1st))
    await eventually(lambda: _charged(billing), what="the charge")
    # 07:30 on 15 January in Shanghai: 30 days after the due date of 16 December.
    early = dt.datetime(2027, 1, 14, 23, 30, tzinfo=dt.timezone.utc)

    monkeypatch.setattr(dunning, "now", lambda: early)
    arrears = (await billing.get(f"{P}/arrears")).json()
    assert (arrears["as_of"], arrears["totals"]["30-59"]) == ("2027-01-15", 8000)
    run = (await billing.post(f"{P}/dunning-runs", json={"now": early.isoformat()})).json()
    assert (run["as_of"], run["reminders"]) == ("2027-01-15", 1)
    [task] = (await billing.get(f"{P}/dunning/tasks")).json()["items"]
    assert (task["stage"], task["days_past_due"], task["due_date"]) == ("30-59", 30, "2026-12-16")


async def test_the_monthly_report_in_json_and_excel(billing, bus):
    from openpyxl import load_workbook

    await bus.publish(closed([line("l1", 10_000)]))
    await eventually(lambda: _charged(billing), what="the charge")
    await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 4000, "method": "card"}, headers={"Idempotency-Key": "pay-1"})
    # The plaza's month (archive has not said otherwise: Asia/Shanghai), not UTC's.
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    report = (await billing.get(f"{P}/reports/monthly", params={"month": month})).json()
    assert (report["billed_fen"], report["collected_fen"], report["collection_rate"]) == (10_000, 4000, 0.4)
    xlsx = await billing.get(f"{P}/reports/monthly", params={"month": month, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content))["汇总"]
    assert [sheet["B4"].value, sheet["B5"].value, sheet["B7"].value] == [100.0, 40.0, 0.4]
    assert [sheet["A4"].value, sheet["B4"].number_format, sheet["B7"].number_format] == ["应收", '"¥"#,##0.00', "0.0%"]
