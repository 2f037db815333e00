"""The desk's rules: how a found unit is shown, what the logged request's body holds, and
the unit at a glance."""

from __future__ import annotations

import pytest

from services.console.desk import domain

A203 = {"unit": "A-203", "occupant": {"name": "李明茶行 Li Ming Tea", "phone": "13800000203"}, "key_account": True}


def test_a_unit_found_by_its_number_marks_the_start_of_the_number():
    m = domain.match(A203, "a-2")
    assert (m.field, m.before, m.hit, m.after) == ("unit", "", "A-2", "03")
    assert m.key_account


def test_a_unit_found_by_its_occupant_marks_that_part_of_the_name_whatever_the_case():
    m = domain.match(A203, "li ming")
    assert (m.field, m.before, m.hit, m.after) == ("name", "李明茶行 ", "Li Ming", " Tea")


def test_a_unit_found_by_the_last_digits_of_a_phone_marks_them():
    m = domain.match(A203, "0203")
    assert (m.field, m.hit) == ("phone", "0203")


def test_the_middle_of_a_unit_number_is_not_how_it_was_found():
    # archive matches a number from its start only: "203" found A-203 by its phone.
    assert domain.match(A203, "203").field == "phone"


def test_a_unit_matched_by_nothing_shown_is_listed_unmarked():
    m = domain.match({"unit": "B-1", "occupant": {"name": "x"}}, "zzz")
    assert (m.before, m.hit, m.phone) == ("B-1", "", "")


FORM = {"channel": "phone", "about": "unit", "unit": "A-203", "text": " 下水道堵了 "}


def test_a_request_about_a_unit_sends_neither_kind_nor_department_unless_the_clerk_chose_them():
    body, refused = domain.request_body(FORM)
    assert body == {"channel": "phone", "text": "下水道堵了", "unit": "A-203"}
    assert refused == []
    body, _ = domain.request_body({**FORM, "kind": "complaint", "department": "cleaning"})
    assert (body["kind"], body["department"]) == ("complaint", "cleaning")


def test_a_public_area_is_sent_only_when_chosen_and_then_without_a_unit():
    body, refused = domain.request_body({**FORM, "about": "area", "area": "car-park"})
    assert body["area"] == "car-park" and "unit" not in body and not refused
    assert "area" not in domain.request_body(FORM)[0]
    _, refused = domain.request_body({**FORM, "about": "area", "area": ""})
    assert [r.field for r in refused] == ["area"]


def test_a_caller_who_is_no_occupant_leaves_a_name_and_a_phone():
    _, refused = domain.request_body({**FORM, "about": "caller", "contact_name": "王先生"})
    assert [r.field for r in refused] == ["contact_name"]
    body, refused = domain.request_body({**FORM, "about": "caller", "contact_name": "王先生", "contact_phone": "139"})
    assert body["contact"] == {"name": "王先生", "phone": "139"} and "unit" not in body and not refused


@pytest.mark.parametrize(("form", "field"), [({**FORM, "unit": ""}, "unit"), ({**FORM, "text": "  "}, "text")])
def test_a_request_without_its_unit_or_text_is_refused_naming_the_field(form, field):
    assert field in [r.field for r in domain.request_body(form)[1]]


def test_intake_is_asked_for_a_proposal_only_once_there_is_text():
    assert domain.preview_body("  ", None, "A-203") is None
    assert domain.preview_body("漏水", "", "A-203") == {"text": "漏水", "unit": "A-203"}
    assert domain.preview_body("漏水", "complaint", None) == {"text": "漏水", "kind": "complaint"}


def test_what_else_a_mixed_message_was_recorded_as():
    assert domain.also_kinds({"also": [{"id": "r2", "kind": "praise"}]}) == ["praise"]
    assert domain.also_kinds({"also": ["praise"]}) == ["praise"]
    assert domain.also_kinds({}) == []


def test_the_glance_shows_open_work_orders_newest_first_and_the_latest_visits():
    orders = [{"id": "1", "status": "closed", "created_at": "2026-12-01"},
              {"id": "2", "status": "assigned", "created_at": "2026-12-02"},
              {"id": "3", "status": "cancelled", "created_at": "2026-12-03"},
              {"id": "4", "status": "created", "created_at": "2026-12-04"}]
    visits = [{"id": v, "scheduled_at": f"2026-11-0{v}"} for v in "1234"]
    seen = domain.glance({"unit": "A-203", "outstanding_defects": [{"description": "裂缝"}]}, orders, visits,
                         {"owed_fen": 12000})
    assert [w["id"] for w in seen.open_work_orders] == ["4", "2"]
    assert [v["id"] for v in seen.last_visits] == ["4", "3", "2"]
    assert seen.owed_fen == 12000 and seen.defects == [{"description": "裂缝"}]


def test_a_glance_with_parts_the_person_may_not_see_leaves_them_empty():
    seen = domain.glance({"unit": "A-203"}, None, None, None)
    assert (seen.open_work_orders, seen.last_visits, seen.owed_fen, seen.defects) == ([], [], None, [])
