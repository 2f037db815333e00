"""Archive's register rules: the new unit facts, import rows, timeline kinds and days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from libs.contracts.events import (
    Defect,
    DocumentAttached,
    HandoverInspected,
    Occupant,
    RenovationClosed,
    UnitContact,
    UnitRegistered,
)
from services.archive.projections import domain as projections
from services.archive.register import domain as register
from services.archive.timeline import domain as timeline

BASE = dict(area_m2=80.0, use="shop", occupant_name="Li Ming", occupant_kind="merchant", occupant_phone="138",
            key_account=False)


def facts(**over):
    return register.unit_facts(**{**BASE, **over})


# --- facts -----------------------------------------------------------------------------


def test_unknown_optional_facts_are_left_out_so_old_revisions_compare_equal():
    assert facts(building=None, contacts=[], floor="") == facts()
    assert register.diff(facts(), facts(building="C")) == [register.Change("building", None, "C")]


def test_dates_are_kept_as_iso_text():
    assert facts(handover_date=dt.date(2026, 11, 20))["handover_date"] == "2026-11-20"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"handover_date": "2026-11-20", "occupancy_date": "2026-11-19"}, "occupancy_date"),
        ({"contract_start": "2026-12-01", "contract_end": "2026-11-30"}, "contract_end"),
        ({"contacts": [{"name": "Wang", "relation": "spouse"}, {"name": "Li", "relation": ""}]}, "contacts[1].relation"),
    ],
)
def test_inconsistent_facts_are_refused_naming_the_field(over, field):
    with pytest.raises(register.InvalidFact) as err:
        register.check_unit_facts(facts(**over))
    assert err.value.field == field


def test_an_event_carries_the_same_facts_the_audit_trail_stores():
    stored = facts(building="C", floor="8", contacts=[{"name": "Wang", "relation": "spouse", "phone": None}],
                   handover_date="2026-11-20")
    event = UnitRegistered(plaza_id="p1", correlation_id="c", unit="C-0802", revision=2, area_m2=80.0, use="shop",
                           occupant=Occupant(name="Li Ming", kind="merchant", phone="138"), building="C", floor="8",
                           contacts=[UnitContact(name="Wang", relation="spouse")], handover_date=dt.date(2026, 11, 20))
    assert register.diff(stored, register.facts_of_event(event)) == []


# --- import rows -----------------------------------------------------------------------

HEADER = ["房号", "面积", "用途", "业户", "业户类型", "重点客户", "联系人", "入伙日期", "Notes"]


def parse(*rows):
    columns = register.header_columns(HEADER)
    return register.parse_rows(columns, [(n, row) for n, row in enumerate(rows, start=2)])


def test_chinese_headers_and_values_are_understood_and_unknown_columns_ignored():
    (row,), rejected = parse(("A-1", 80, "商铺", "李明", "商户", "是", "王芳|spouse|139; 李强|son", dt.datetime(2026, 11, 20), "vip"))
    assert rejected == []
    assert row.values == {"area_m2": 80.0, "use": "shop", "occupant_name": "李明", "occupant_kind": "merchant",
                          "key_account": True, "handover_date": "2026-11-20",
                          "contacts": [{"name": "王芳", "relation": "spouse", "phone": "139"},
                                       {"name": "李强", "relation": "son", "phone": None}]}


def test_each_bad_row_is_reported_by_its_row_number_and_the_good_ones_kept():
    rows, rejected = parse(
        ("A-1", 80, "shop", "Li", "merchant", "no", None, None, None),
        ("A-2", "eighty", "shop", "Li", "merchant", "no", None, None, None),
        (None, None, None, None, None, None, None, None, None),  # a blank row is no row
        ("A-1", 90, "shop", "Wang", "merchant", "no", None, None, None),
        ("A-5", 90, "shop", "Wang", "merchant", "no", "Wang", None, None),
        ("A-6", 90, "shop", "Wang", "merchant", "no", None, "31/12/2026", None),
    )
    assert [r.unit for r in rows] == ["A-1"]
    assert [(r.row, r.reason.split(":")[0]) for r in rejected] == [(3, "area_m2"), (5, "unit A-1 already appears in row 2"),
                                                                   (6, "contacts"), (7, "handover_date")]


def test_a_file_without_a_required_column_is_refused_as_a_whole():
    with pytest.raises(register.InvalidFact) as err:
        register.header_columns(["unit", "area_m2", "use"])
    assert err.value.field == "file" and "occupant_name" in err.value.message


def test_a_plan_keeps_what_the_file_does_not_mention_and_skips_what_did_not_change():
    current = {"A-1": facts(building="C", key_account=True), "A-2": facts()}
    columns = register.header_columns(["unit", "area_m2", "use", "occupant_name", "occupant_kind"])
    rows, _ = register.parse_rows(columns, [(2, ("A-1", 80, "shop", "Li Ming", "merchant")),
                                                  (3, ("A-2", 81, "shop", "Li Ming", "merchant")),
                                                  (4, ("A-3", 10, "office", "Zhao", "merchant")),
                                                  (5, ("A-4", -1, "office", "Zhao", "merchant"))])
    plan = register.plan(rows, [], current)
    assert plan.unchanged == 1  # A-1 keeps its building and key-account flag: no change
    assert [(row.unit, before is None) for row, before, _ in plan.changed] == [("A-2", False), ("A-3", True)]
    assert [(r.row, r.reason.split(":")[0]) for r in plan.rejected] == [(5, "area_m2")]


def test_contacts_written_by_the_export_read_back_the_same():
    contacts = [{"name": "王芳", "relation": "owner", "phone": "139"}, {"name": "李强", "relation": "son", "phone": None}]
    text = register.format_contacts(contacts)
    assert text == "王芳|owner|139; 李强|son"
    assert register._contacts("contacts", text) == contacts


# --- timeline --------------------------------------------------------------------------


def test_a_kind_stands_for_its_family_of_types_and_an_unknown_kind_is_refused():
    assert {"RenovationApproved", "RenovationClosed", "HandoverInspected"} <= set(timeline.types_of_kinds(["renovation", "handover"]))
    assert "RequestReceived" not in timeline.types_of_kinds(["renovation", "handover"])
    assert {"UnitRegistered", "DocumentAttached"} <= set(timeline.types_of_kinds(["unit"]))
    assert {"WorkOrderClosed", "WorkOrderCancelled"} <= set(timeline.types_of_kinds(["work_order"]))
    with pytest.raises(timeline.InvalidFact) as err:
        timeline.types_of_kinds(["gossip"])
    assert err.value.field == "kind"


def test_a_day_is_the_plazas_own_calendar_day():
    since, until = timeline.day_bounds(dt.date(2027, 1, 10), zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert since == dt.datetime(2027, 1, 9, 16, tzinfo=dt.timezone.utc)
    assert until - since == dt.timedelta(days=1)


def test_move_in_events_have_readable_summaries():
    defects = [Defect(defect_id=f"d{n}", description="x", responsible_party="Huajian") for n in (1, 2)]
    inspected = HandoverInspected(plaza_id="p1", correlation_id="c", unit="C-1", inspection_id="i", accepted=True, defects=defects)
    assert timeline.summarize(inspected) == "handover inspected, accepted, 2 defects"
    closed = RenovationClosed(plaza_id="p1", correlation_id="c", unit="C-1", permit_id="p", deduction_fen=20000,
                              deduction_reason="scratched lift")
    assert timeline.summarize(closed) == "renovation permit closed, ¥200.00 deducted from the deposit (scratched lift)"
    doc = DocumentAttached(plaza_id="p1", correlation_id="c", unit="C-1", document_id="d", kind="contract",
                           filename="lease.pdf", content_type="application/pdf", size_bytes=1, sha256="0" * 64)
    assert timeline.summarize(doc) == "contract attached: lease.pdf (1 byte)"


def test_a_reopening_follows_the_closing_before_it_and_precedes_the_next():
    steps = [projections.work_order_step(0, True), projections.work_order_step(1, False), projections.work_order_step(1, True)]
    assert steps == sorted(steps) and len(set(steps)) == 3 and projections.work_order_step(0, False) < steps[0]
