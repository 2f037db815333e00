"""Dispatch's correction rules: where a request's job goes at intake, re-routing a job, what
a reclassification does to a work order, the escalation inbox's order, and the follow-up
of a suggestion."""

from __future__ import annotations

import datetime as dt

import pytest

from services.dispatch.corrections import domain as corrections
from services.dispatch.escalations import domain as inbox
from services.dispatch.feedback import domain as feedback
from services.dispatch.routing import domain as routing
from services.dispatch.routing.domain import RoutingRule

AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
LIFTS = [RoutingRule(keyword="lift", department="lift_vendor")]


# --- the department at intake ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "proposed", "chosen", "department"),
    [
        ("the lift is stuck", "security", True, "security"),  # the clerk's choice over the plaza's rules
        ("the lift is stuck", "security", False, "lift_vendor"),  # the plaza's rule over a proposal
        ("the shop sign fell", "cleaning", False, "cleaning"),  # no rule: intake's proposal
        ("the shop sign fell", None, False, "engineering"),  # nothing: by kind, as before
        ("the shop sign fell", None, True, "engineering"),  # "chosen" with nothing chosen
        ("the shop sign fell", "eng.>", True, "engineering"),  # not a subject token: no department
    ],
)
def test_the_chosen_department_then_the_plazas_rules_then_the_proposal(text, proposed, chosen, department):
    assert routing.department_for(text, "service", LIFTS, proposed=proposed, chosen=chosen) == department


# --- re-routing --------------------------------------------------------------------------


def job(**values) -> dict:
    return {"id": "wo-1", "department": "engineering", "status": "assigned", "assignee": "zhang", "kind": "service",
            "major": False, "priority": "normal", "warranty": False, "text": "the lift is stuck", **values}


@pytest.mark.parametrize("status", ["created", "assigned", "in_progress"])
def test_a_rerouted_job_enters_the_new_queue_unassigned_and_created(status):
    values = corrections.rerouted(job(status=status), "lift_vendor", AT)
    assert values == {"department": "lift_vendor", "assignee": None, "status": "created", "updated_at": AT}


@pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
def test_a_job_done_or_called_off_is_not_rerouted(status):
    with pytest.raises(corrections.RerouteRefused) as refused:
        corrections.rerouted(job(status=status), "lift_vendor", AT)
    assert refused.value.conflict and refused.value.field == "status" and status in str(refused.value)


def test_rerouting_to_the_same_or_an_impossible_department_is_refused_by_field():
    with pytest.raises(corrections.RerouteRefused) as same:
        corrections.rerouted(job(), "engineering", AT)
    assert same.value.field == "department" and same.value.conflict
    with pytest.raises(corrections.RerouteRefused) as bad:
        corrections.rerouted(job(), "lift vendor", AT)
    assert bad.value.field == "department" and not bad.value.conflict


# --- reclassification --------------------------------------------------------------------


def test_a_request_without_a_job_opens_one_only_when_it_becomes_serviceable_work():
    assert corrections.correction(None, kind="service", serviceable=True, major=False, department=None).action == "open"
    assert corrections.correction(None, kind="complaint", serviceable=False, major=False, department=None).action == "none"
    assert corrections.correction(None, kind="suggestion", serviceable=True, major=False, department=None).action == "none"


@pytest.mark.parametrize(("kind", "serviceable"), [("praise", True), ("suggestion", True), ("service", False)])
def test_a_job_whose_request_is_no_longer_work_is_called_off(kind, serviceable):
    found = corrections.correction(job(), kind=kind, serviceable=serviceable, major=False, department=None)
    assert found.action == "cancel"


def test_a_closed_or_cancelled_job_is_history():
    for status in ("closed", "cancelled"):
        assert corrections.correction(job(status=status), kind="praise", serviceable=True, major=False, department=None).action == "none"


def test_a_service_turned_major_complaint_is_reflagged_escalated_and_rerouted():
    found = corrections.correction(job(), kind="complaint", serviceable=True, major=True, department="customer_service")
    assert found.action == "reflag" and found.escalate and found.reroute_to == "customer_service"
    assert found.values == {"kind": "complaint", "category": "repairs", "sla_class": "complaint", "major": True}


def test_applying_the_same_correction_again_changes_nothing_more():
    already = job(kind="complaint", major=True, department="customer_service")
    found = corrections.correction(already, kind="complaint", serviceable=True, major=True, department="customer_service")
    assert found == corrections.Correction("reflag", {}, False, None)


def test_a_resolved_job_keeps_its_department_when_reclassified():
    found = corrections.correction(job(status="resolved"), kind="service", serviceable=True, major=False, department="cleaning")
    assert found.action == "reflag" and found.reroute_to is None


def test_the_cancel_reason_says_what_the_request_became():
    assert corrections.cancel_reason("praise", True, None, "a thank-you") == "reclassified as praise: a thank-you"
    assert corrections.cancel_reason("service", False, "gas: 96777", "gas") == "not serviceable, referred to gas: 96777: gas"


# --- the escalation inbox ----------------------------------------------------------------


def item(event_id: str, minutes_ago: int, *, status: str = "created", kind: str = "service", major: bool = False) -> dict:
    return {"event_id": event_id, "status": status, "kind": kind, "major": major,
            "escalated_at": AT - dt.timedelta(minutes=minutes_ago)}


def test_open_escalations_and_major_complaints_first_then_the_oldest():
    items = [
        item("closed-old", 500, status="closed"),
        item("open-new", 5),
        item("open-old", 50),
        item("major-new", 1, kind="complaint", major=True),
        item("major-closed", 900, kind="complaint", major=True, status="closed"),
    ]
    ordered = [i["event_id"] for i in sorted(items, key=inbox.inbox_order)]
    assert ordered == ["major-new", "open-old", "open-new", "major-closed", "closed-old"]


def test_an_inbox_item_names_the_breached_deadline_and_its_age():
    assert inbox.deadline_of("respond:0") == "respond" and inbox.deadline_of("on_site:1") == "on_site"
    assert inbox.deadline_of("major") is None and inbox.deadline_of("authority") is None
    assert inbox.age_minutes(AT - dt.timedelta(minutes=90, seconds=30), AT) == 90


# --- suggestion follow-up ----------------------------------------------------------------


def step(state: str, reply: str | None = None) -> feedback.SuggestionFollowUp:
    return feedback.SuggestionFollowUp(state=state, reply=reply)


def test_a_suggestion_is_considered_then_adopted_or_declined_with_a_reply():
    assert feedback.followed_up("received", step("under_consideration")) == "under_consideration"
    assert feedback.followed_up("under_consideration", step("adopted", "from next month")) == "adopted"
    assert feedback.followed_up("under_consideration", step("declined", "the lease forbids it")) == "declined"


@pytest.mark.parametrize(
    ("state", "to"),
    [("received", "adopted"), ("received", "received"), ("adopted", "declined"), ("declined", "under_consideration")],
)
def test_a_step_the_state_does_not_allow_is_a_conflict(state, to):
    with pytest.raises(feedback.FollowUpRefused) as refused:
        feedback.followed_up(state, step(to, "a reply"))
    assert refused.value.conflict and refused.value.field == "state"


def test_a_decision_without_a_reply_to_the_merchant_is_refused():
    with pytest.raises(feedback.FollowUpRefused) as refused:
        feedback.followed_up("under_consideration", step("declined", "  "))
    assert not refused.value.conflict and refused.value.field == "reply"
