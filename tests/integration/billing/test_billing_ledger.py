"""Billing against a real nats-server and a real database (SQLite, and PostgreSQL if here)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from libs.contracts.events import (
    ChargeLine,
    ChargePosted,
    Occupant,
    PaymentReceived,
    PlazaRegistered,
    UnitRegistered,
    WorkOrderClosed,
    decode,
)
from tests.support.harness import client_for, eventually, service_settings
from services.billing.app import create_app
from services.billing.settings import Settings

ACCOUNT = "/v1/plazas/p1/accounts/A-203"
CLOSED_CONSUMER = "billing-work-order-closed"


@pytest.fixture
async def billing(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas, consumer_fact_wait_s=10)
    async with client_for(create_app(settings)) as client:
        await bus.publish(PlazaRegistered(plaza_id="p1", correlation_id="seed", name="Plaza One"))
        await bus.publish(unit_registered("A-203", revision=1))

        async def unit_known():
            return (await client.get(ACCOUNT)).status_code == 200

        await eventually(unit_known, what="billing to learn unit A-203 from archive")
        yield client


def unit_registered(unit: str, *, revision: int, key_account: bool = False) -> UnitRegistered:
    return UnitRegistered(
        plaza_id="p1", correlation_id="seed", unit=unit, revision=revision, area_m2=80.0,
        use="shop", occupant=Occupant(name="Li Ming", kind="merchant", phone="138"), key_account=key_account,
    )


def line(line_id: str, amount_fen: int, description: str | None = None) -> ChargeLine:
    return ChargeLine(
        line_id=line_id, kind="material", description=description or f"line {line_id}",
        quantity=1, unit_price_fen=amount_fen, amount_fen=amount_fen,
    )


def closed(lines: list[ChargeLine], *, paid: bool = True, work_order_id: str = "wo-1", unit: str = "A-203",
           reopen_count: int = 0, occurred_at: dt.datetime | None = None, kind: str | None = None) -> WorkOrderClosed:
    extra = {"occurred_at": occurred_at} if occurred_at else {}
    return WorkOrderClosed(
        plaza_id="p1", correlation_id="req-1", work_order_id=work_order_id, request_id="req-1", unit=unit,
        department="engineering", reopen_count=reopen_count, paid=paid, charge_lines=lines, kind=kind, **extra,
    )


async def billing_events(bus, cls):
    return [e for e in (decode(m.data, "billing") for m in await bus.messages("BILLING")) if isinstance(e, cls)]


async def consumer_settled(bus, stream: str = "DISPATCH", durable: str = CLOSED_CONSUMER):
    """Every message of the stream delivered to billing and acknowledged: nothing more is coming."""
    return await bus.caught_up(stream, durable)


async def account(client, path: str = ACCOUNT) -> dict:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    return r.json()


async def entries_count(client, n: int, path: str = ACCOUNT):
    body = await _account_if_found(client, path)
    return body if body and len(body["entries"]) >= n else None


async def test_a_known_unit_without_entries_owes_nothing(billing):
    body = await account(billing)
    assert {k: body[k] for k in ("unit", "owed_fen", "currency", "entries")} == {
        "unit": "A-203", "owed_fen": 0, "currency": "CNY", "entries": []}
    assert (body["credit_fen"], body["deposit_held_fen"], body["open_items"]) == (0, 0, [])


async def test_a_unit_nobody_knows_is_a_404_naming_it(billing):
    r = await billing.get("/v1/plazas/p1/accounts/Z-999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "unit" and "Z-999" in r.json()["detail"]


async def test_paid_close_posts_each_line_and_announces_it(billing, bus):
    await bus.publish(closed([line("wo-1:labour", 5000, "labour 1h"), line("wo-1:m1", 1200, "drain pipe")]))

    body = await eventually(lambda: entries_count(billing, 2), what="two charges on A-203")
    assert body["owed_fen"] == 6200 and body["currency"] == "CNY"
    assert {(e["kind"], e["line_id"], e["amount_fen"], e["work_order_id"]) for e in body["entries"]} == {
        ("charge", "wo-1:labour", 5000, "wo-1"),
        ("charge", "wo-1:m1", 1200, "wo-1"),
    }
    assert all(e["occurred_at"].endswith("Z") and "method" not in e for e in body["entries"])

    posted = await eventually(lambda: _at_least(bus, ChargePosted, 2), what="ChargePosted on the BILLING stream")
    assert sorted((e.line_id, e.amount_fen, e.unit) for e in posted) == [
        ("wo-1:labour", 5000, "A-203"), ("wo-1:m1", 1200, "A-203"),
    ]
    assert {e.entry_id for e in posted} == {e["id"] for e in body["entries"]}


async def _at_least(bus, cls, n: int):
    found = await billing_events(bus, cls)
    return found if len(found) >= n else None


async def test_each_line_is_charged_once_whatever_the_redelivery(billing, bus):
    first = closed([line("l1", 5000), line("l2", 1200)])
    await bus.publish(first)
    # A different Nats-Msg-Id gets past JetStream's dedup: only billing can stop it now.
    await bus.publish(first, msg_id=uuid.uuid4().hex)
    # After a reopening, dispatch closes again with a new event carrying every line so far.
    await bus.publish(closed([line("l1", 5000), line("l2", 1200), line("l3", 800)], reopen_count=1))

    await eventually(lambda: entries_count(billing, 3), what="the third line to be charged")
    await eventually(lambda: consumer_settled(bus), what="billing to acknowledge every closing event")

    body = await account(billing)
    assert sorted(e["line_id"] for e in body["entries"]) == ["l1", "l2", "l3"]
    assert body["owed_fen"] == 7000
    posted = await eventually(lambda: _at_least(bus, ChargePosted, 3), what="three ChargePosted")
    assert sorted(e.line_id for e in posted) == ["l1", "l2", "l3"]


async def test_an_unpaid_close_posts_nothing(billing, bus):
    await bus.publish(closed([line("free-1", 5000)], paid=False))
    await eventually(lambda: consumer_settled(bus), what="billing to acknowledge the unpaid close")
    assert (await account(billing))["entries"] == []
    assert await billing_events(bus, ChargePosted) == []


async def test_a_charge_for_a_unit_archive_registers_a_moment_later_is_kept(billing, bus):
    await bus.publish(closed([line("b9-1", 3000)], work_order_id="wo-9", unit="B-9"))

    async def held_back():
        return (await bus.js.consumer_info("DISPATCH", CLOSED_CONSUMER)).num_redelivered >= 1

    await eventually(held_back, what="billing to hold the charge back while B-9 is unknown")
    await bus.publish(unit_registered("B-9", revision=1))
    # At the latest when the wait for archive's facts (10 s here) is over, it is looked at again.
    body = await eventually(lambda: entries_count(billing, 1, "/v1/plazas/p1/accounts/B-9"), timeout=20,
                            what="B-9's charge")
    assert body["owed_fen"] == 3000 and body["entries"][0]["work_order_id"] == "wo-9"
    assert await bus.messages("DEADLETTER") == []


async def _account_if_found(client, path: str):
    r = await client.get(path)
    return r.json() if r.status_code == 200 else None


async def test_entries_are_ordered_by_when_they_happened(billing, bus):
    later = dt.datetime(2024, 6, 2, tzinfo=dt.timezone.utc)
    earlier = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    await bus.publish(closed([line("late", 100)], work_order_id="wo-late", occurred_at=later))
    await bus.publish(closed([line("early", 200)], work_order_id="wo-early", occurred_at=earlier))
    body = await eventually(lambda: entries_count(billing, 2), what="both charges")
    assert [e["line_id"] for e in body["entries"]] == ["early", "late"]
    assert body["entries"][0]["occurred_at"] == "2024-06-01T00:00:00Z"


async def test_payment_reduces_what_is_owed_and_is_announced(billing, bus):
    await bus.publish(closed([line("l1", 5000)]))
    await eventually(lambda: entries_count(billing, 1), what="the charge")

    r = await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 3000, "method": "wechat", "reference": "WX-1"},
                           headers={"Idempotency-Key": "WX-1"})
    assert r.status_code == 201
    paid = r.json()
    assert paid["amount_fen"] == 3000 and paid["method"] == "wechat" and paid["reference"] == "WX-1"
    assert paid["owed_fen"] == 2000

    body = await account(billing)
    assert body["owed_fen"] == 2000
    payment = [e for e in body["entries"] if e["kind"] == "payment"]
    assert len(payment) == 1 and {k: payment[0][k] for k in (
        "id", "kind", "amount_fen", "description", "method", "reference", "currency", "actor")} == {
        "id": paid["id"], "kind": "payment", "amount_fen": 3000, "description": "payment by wechat",
        "method": "wechat", "reference": "WX-1", "currency": "CNY", "actor": "front-desk",
    }

    received = await eventually(lambda: _at_least(bus, PaymentReceived, 1), what="PaymentReceived on BILLING")
    assert (received[0].entry_id, received[0].amount_fen, received[0].unit) == (paid["id"], 3000, "A-203")


async def test_payment_retried_with_the_same_key_is_recorded_once(billing, bus):
    payload = {"amount_fen": 1500, "method": "cash"}
    headers = {"Idempotency-Key": "till-7-0001"}
    first = await billing.post(f"{ACCOUNT}/payments", json=payload, headers=headers)
    again = await billing.post(f"{ACCOUNT}/payments", json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["reference"] is None

    body = await account(billing)
    assert len(body["entries"]) == 1 and body["owed_fen"] == -1500

    other = await billing.post(f"{ACCOUNT}/payments", json={**payload, "amount_fen": 1600}, headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert len((await account(billing))["entries"]) == 1

    await eventually(lambda: _at_least(bus, PaymentReceived, 1), what="the one PaymentReceived")
    # A later payment's event proves the relay has caught up, so a second one would show.
    await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 1, "method": "card"}, headers={"Idempotency-Key": "till-7-0002"})
    events = await eventually(lambda: _at_least(bus, PaymentReceived, 2), what="the later PaymentReceived")
    assert sorted(e.amount_fen for e in events) == [1, 1500]


async def test_the_same_key_on_another_unit_is_another_payment(billing, bus):
    await bus.publish(unit_registered("A-204", revision=1))
    await eventually(lambda: _account_if_found(billing, "/v1/plazas/p1/accounts/A-204"), what="A-204 known")
    headers = {"Idempotency-Key": "k1"}
    a = await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 100, "method": "cash"}, headers=headers)
    b = await billing.post("/v1/plazas/p1/accounts/A-204/payments", json={"amount_fen": 100, "method": "cash"}, headers=headers)
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"amount_fen": 0, "method": "cash"}, 422, "amount_fen"),
        ({"amount_fen": -500, "method": "cash"}, 422, "amount_fen"),
        ({"amount_fen": "five hundred", "method": "cash"}, 400, "amount_fen"),
        ({"amount_fen": True, "method": "cash"}, 400, "amount_fen"),
        ({"amount_fen": 12.5, "method": "cash"}, 400, "amount_fen"),
        ({"method": "cash"}, 400, "amount_fen"),
        ({"amount_fen": 500, "method": "bitcoin"}, 400, "method"),
        ({"amount_fen": 500}, 400, "method"),
    ],
)
async def test_bad_payment_gets_a_problem_naming_the_field(billing, body, status, field):
    r = await billing.post(f"{ACCOUNT}/payments", json=body, headers={"Idempotency-Key": "till-9"})
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert (await account(billing))["entries"] == []


async def test_payment_to_a_unit_nobody_knows_is_refused(billing):
    r = await billing.post("/v1/plazas/p1/accounts/Z-999/payments", json={"amount_fen": 100, "method": "cash"},
                           headers={"Idempotency-Key": "till-1"})
    assert r.status_code == 404 and r.json()["field"] == "unit"


@pytest.mark.parametrize("path", ["payments", "prepaid/electricity/recharges"])
async def test_money_is_taken_only_with_an_idempotency_key(billing, bus, path):
    """A payment retried after a lost answer must never be taken twice: without a key
    there is no way to tell a retry from a second payment, so none is taken."""
    r = await billing.post(f"{ACCOUNT}/{path}", json={"amount_fen": 100, "method": "cash"})
    assert r.status_code == 428 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["field"] == "Idempotency-Key" and "Idempotency-Key" in problem["detail"]
    assert (await account(billing))["entries"] == []

    keyed = await billing.post(f"{ACCOUNT}/{path}", json={"amount_fen": 100, "method": "cash"},
                               headers={"Idempotency-Key": "till-3-0001"})
    assert keyed.status_code == 201


async def test_accounts_list_shows_arrears_first(billing, bus):
    await bus.publish(unit_registered("A-204", revision=1, key_account=True))
    await bus.publish(unit_registered("C-1", revision=1))
    await bus.publish(closed([line("c1", 900)], work_order_id="wo-c", unit="C-1"))
    await bus.publish(closed([line("a1", 400)]))
    await eventually(lambda: entries_count(billing, 1, "/v1/plazas/p1/accounts/C-1"), what="C-1's charge")
    await eventually(lambda: entries_count(billing, 1), what="A-203's charge")
    await eventually(lambda: _account_if_found(billing, "/v1/plazas/p1/accounts/A-204"), what="A-204 known")

    items = (await billing.get("/v1/plazas/p1/accounts")).json()["items"]
    assert [(i["unit"], i["owed_fen"]) for i in items] == [("C-1", 900), ("A-203", 400), ("A-204", 0)]
    assert [i["known"] for i in items] == [True, True, True] and items[2]["key_account"] is True

    owing = (await billing.get("/v1/plazas/p1/accounts", params={"in_arrears": "true", "limit": 1})).json()
    assert [i["unit"] for i in owing["items"]] == ["C-1"] and owing["next"] == "1"


async def test_any_order_and_repetition_of_closings_charges_each_line_once(billing, bus):
    """Property-style: reopenings and redeliveries shuffled; the ledger holds each line once."""
    rng = random.Random(7)
    lines = {f"wo-{w}": [line(f"wo-{w}:l{i}", rng.randint(1, 90_000)) for i in range(rng.randint(1, 4))] for w in range(4)}
    publishes = []
    for work_order_id, all_lines in lines.items():
        # Each closing (one per reopening) carries every line so far.
        for count in range(1, len(all_lines) + 1):
            event = closed(all_lines[:count], work_order_id=work_order_id, reopen_count=count - 1)
            publishes += [event] * rng.randint(1, 3)
    rng.shuffle(publishes)
    for event in publishes:
        await bus.publish(event, msg_id=uuid.uuid4().hex)

    expected = {l.line_id: l.amount_fen for ls in lines.values() for l in ls}
    await eventually(lambda: entries_count(billing, len(expected)), what="every line charged")
    await eventually(lambda: consumer_settled(bus), what="billing to acknowledge every closing event")
    body = await account(billing)
    assert {e["line_id"]: e["amount_fen"] for e in body["entries"]} == expected
    assert len(body["entries"]) == len(expected) and body["owed_fen"] == sum(expected.values())


async def test_a_closing_with_a_negative_line_is_dead_lettered_and_posts_nothing(billing, bus):
    await bus.publish(closed([line("ok", 100), line("bad", -100)], work_order_id="wo-bad"))
    parked = await eventually(lambda: bus.messages("DEADLETTER", "plazadesk.deadletter.billing.>"), what="the dead letter")
    assert "charge_lines[1]" in parked[0].headers["PlazaDesk-Reason"]  # the line "bad"
    assert (await account(billing))["entries"] == []


async def test_an_occupant_reads_their_own_account_and_nothing_else(billing):
    from tests.support.harness import bearer

    occupant = bearer("occupant:p1:A-203:abc", plazas={"p1": ["occupant"]}, unit="A-203")
    r = await billing.get(ACCOUNT, headers=occupant)
    assert r.status_code == 200 and r.json()["unit"] == "A-203"
    other = await billing.get("/v1/plazas/p1/accounts/B-102", headers=occupant)
    assert other.status_code == 404 and other.json()["field"] == "unit"
    assert "'B-102' is not your unit" in other.json()["detail"]
    pay = await billing.post(f"{ACCOUNT}/payments", json={"amount_fen": 100, "method": "cash"}, headers=occupant)
    assert pay.status_code == 403
    assert (await billing.get("/v1/plazas/p1/accounts", headers=occupant)).status_code == 403
