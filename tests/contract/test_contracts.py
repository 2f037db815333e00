"""Every event version ever published must keep decoding; every event round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from libs.contracts import STREAMS, subject_for, validate_token
from libs.contracts.events import DECODERS, STREAM_OF, decode, encode
from libs.contracts.subjects import InvalidToken

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


def test_every_event_type_has_a_golden_fixture():
    names = {p.name.split(".")[0] for p in GOLDEN}
    assert names == {cls.__name__ for cls in STREAM_OF}


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_fixture_decodes_and_round_trips(path):
    raw = path.read_bytes()
    event = decode(raw)
    assert type(event).__name__ == json.loads(raw)["type"]
    stream = STREAM_OF[type(event)]
    assert DECODERS[stream].decode(raw) == event  # the stream's own union decodes it too
    assert decode(encode(event)) == event
    old, now = json.loads(raw), json.loads(encode(event))
    assert {k: now[k] for k in old} == old  # nothing renamed or retyped; added fields are fine


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_subject_starts_with_service_then_plaza(path):
    event = decode(path.read_bytes())
    tokens = subject_for(event).split(".")
    assert tokens[:3] == ["plazadesk", STREAM_OF[type(event)], event.plaza_id]
    if type(event).__name__.startswith("WorkOrder"):
        assert tokens[3] == event.department and tokens[4] == "work_order"


def test_an_added_unknown_field_is_ignored_by_old_code():
    raw = json.loads((Path(__file__).parent / "golden" / "WorkOrderClosed.v1.json").read_text())
    raw["a_field_from_the_future"] = 1
    assert decode(json.dumps(raw).encode()).work_order_id == raw["work_order_id"]


def test_an_event_on_the_wrong_stream_is_refused():
    raw = (Path(__file__).parent / "golden" / "VisitCompleted.v1.json").read_bytes()
    with pytest.raises(msgspec.ValidationError):
        DECODERS["dispatch"].decode(raw)


@pytest.mark.parametrize("bad", ["a.b", "p*", ">", "has space", "", "x" * 65])
def test_plaza_ids_must_be_subject_tokens(bad):
    with pytest.raises(InvalidToken):
        validate_token(bad, "plaza")


def test_one_stream_per_producing_service():
    assert {s.name for s in STREAMS.values()} == {"INTAKE", "DISPATCH", "BILLING", "SURVEY", "ARCHIVE", "STAFF", "NOTICES"}
    assert all(s.subjects == [f"plazadesk.{svc}.>"] for svc, s in STREAMS.items())


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("RefundIssued", "plazadesk.billing.wanda-east.account.refund_issued"),
        ("EntryCorrected", "plazadesk.billing.wanda-east.account.entry_corrected"),
        ("DepositHeld", "plazadesk.billing.wanda-east.deposit.held"),
        ("DepositRefunded", "plazadesk.billing.wanda-east.deposit.refunded"),
    ],
)
def test_money_billing_hands_out_or_holds_is_on_the_billing_stream_of_its_plaza(name, subject):
    event = DECODERS["billing"].decode((Path(__file__).parent / "golden" / f"{name}.v1.json").read_bytes())
    assert subject_for(event) == subject
    assert event.unit_id and event.amount_fen > 0 and isinstance(event.amount_fen, int)


# Money moved or asked for, quantities and counts are never negative: each stream's decoder
# (the one every consumer of it uses) refuses such an event, naming the field, so every
# consumer dead-letters it the same way before applying any of it.
NEVER_NEGATIVE = [
    ("WorkOrderClosed", ("charge_lines", 0, "amount_fen")),
    ("WorkOrderClosed", ("charge_lines", 0, "quantity")),
    ("WorkOrderClosed", ("charge_lines", 0, "unit_price_fen")),
    ("WorkOrderClosed", ("reopen_count",)),
    ("WorkOrderResolved", ("labour_fen",)),
    ("WorkOrderResolved", ("materials", 0, "quantity")),
    ("WorkOrderResolved", ("materials", 0, "unit_price_fen")),
    ("StockLow", ("quantity",)),
    ("RenovationApproved", ("deposit_fen",)),
    ("RenovationClosed", ("deduction_fen",)),
    ("ChargePosted", ("amount_fen",)),
    ("PaymentReceived", ("amount_fen",)),
    ("RefundIssued", ("amount_fen",)),
    ("EntryCorrected", ("amount_fen",)),
    ("DepositHeld", ("amount_fen",)),
    ("DepositRefunded", ("deduction_fen",)),
    ("InvoiceIssued", ("amount_fen",)),
    ("InvoiceIssued", ("area_m2",)),
    ("DunningReminderIssued", ("open_fen",)),
    ("UnitRegistered", ("area_m2",)),
    ("DocumentAttached", ("size_bytes",)),
]


def _golden_with(name: str, path: tuple, value) -> bytes:
    raw = json.loads((Path(__file__).parent / "golden" / f"{name}.v1.json").read_text())
    *parents, last = path
    node = raw
    for key in parents:
        node = node[key]
    assert last in node, f"the golden {name} has no {path}"
    node[last] = value
    return json.dumps(raw).encode()


@pytest.mark.parametrize(("name", "path"), NEVER_NEGATIVE, ids=lambda v: v if isinstance(v, str) else ".".join(map(str, v)))
def test_a_negative_amount_or_quantity_is_refused_naming_the_field(name, path):
    cls = next(c for c in STREAM_OF if c.__name__ == name)
    with pytest.raises(msgspec.ValidationError, match=r">= 0") as refused:
        DECODERS[STREAM_OF[cls]].decode(_golden_with(name, path, -1))
    assert path[-1] in str(refused.value)
    assert DECODERS[STREAM_OF[cls]].decode(_golden_with(name, path, 0))  # zero is a valid amount


def test_a_balance_may_be_negative():
    raw = _golden_with("PrepaidBalanceLow", ("balance_fen",), -300)
    assert DECODERS["billing"].decode(raw).balance_fen == -300
