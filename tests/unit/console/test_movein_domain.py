"""Move-in's view rules: the steps a renovation permit's state allows are the ones intake
takes, offered to the roles that may take them."""

from __future__ import annotations

import pytest

from services.console.movein import domain
from services.intake.movein import domain as intake_rules

STATUSES = list(domain.RENOVATION_STATUS)
# Each console step as intake's state machine names it.
INTAKE_STEP = {"review": "review:approve", "approve": "approve", "final_inspection": "final_inspection:passed",
               "close": "close"}


def intake_allows(status: str, step: str) -> bool:
    try:
        intake_rules.next_status(status, INTAKE_STEP[step])
    except intake_rules.TransitionRefused:
        return False
    return True


@pytest.mark.parametrize("status", STATUSES)
def test_a_permit_offers_exactly_the_steps_intake_takes_in_its_state(status):
    offered = domain.renovation_steps(status)
    assert offered == [s for s in domain.STEP_WORDS if intake_allows(status, s)]


def test_each_state_offers_its_one_next_step():
    assert {s: domain.renovation_steps(s) for s in STATUSES} == {
        "applied": ["review"], "reviewed": ["approve"], "rejected": [], "approved": ["final_inspection"],
        "rectification_required": ["final_inspection"], "inspection_passed": ["close"], "closed": []}


def test_a_step_is_offered_only_to_roles_that_may_take_it():
    assert domain.renovation_steps("applied", {"clerk"}) == []
    assert domain.renovation_steps("applied", {"supervisor"}) == ["review"]
    assert domain.renovation_steps("approved", {"staff"}) == ["final_inspection"]
    assert domain.renovation_steps("inspection_passed", {"clerk"}) == ["close"]
    assert domain.renovation_steps("inspection_passed", {"auditor"}) == []


def test_the_permits_path_marks_what_is_done_and_where_it_stands():
    assert domain.progress("approved") == [("applied", "done"), ("reviewed", "done"), ("approved", "current"),
                                           ("inspection_passed", "todo"), ("closed", "todo")]
    assert dict(domain.progress("rectification_required"))["approved"] == "current"
    assert dict(domain.progress("rejected"))["applied"] == "current"
    assert all(state == "done" for _, state in domain.progress("closed"))


def test_only_a_booked_handover_is_cancelled_or_inspected():
    assert domain.appointment_actions("booked", {"clerk"}) == ["cancel", "inspect"]
    assert domain.appointment_actions("booked", {"staff"}) == ["inspect"]
    assert domain.appointment_actions("inspected", {"clerk"}) == []
    assert domain.appointment_actions("cancelled", {"manager"}) == []


def test_the_inspections_filled_rows_become_defects_each_naming_who_fixes_it():
    form = {"defect_0_description": "主卧墙面开裂", "defect_0_location": "主卧", "defect_0_party": "华建",
            "defect_1_description": "", "defect_2_description": "门锁松动"}
    defects, errors = domain.defects_from(form)
    assert [d["description"] for d in defects] == ["主卧墙面开裂", "门锁松动"]
    assert defects[0] == {"description": "主卧墙面开裂", "responsible_party": "华建", "location": "主卧"}
    assert list(errors) == ["defects[1].responsible_party"]


@pytest.mark.parametrize(("typed", "fen"), [("3000", 300000), ("1,200.50", 120050), ("¥0.1", 10), ("", 0),
                                             ("abc", None), ("-5", None)])
def test_a_sum_typed_in_yuan_is_fen(typed, fen):
    assert domain.yuan_to_fen(typed) == fen
