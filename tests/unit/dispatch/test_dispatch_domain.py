"""Dispatch's rules: routing, priority, the work-order state machine and its second dispatch, charge lines."""

from __future__ import annotations

import datetime as dt

import pytest

from services.dispatch.routing import domain as routing
from services.dispatch.routing.domain import RoutingRule
from services.dispatch.stock.domain import MaterialUse
from services.dispatch.work_orders import domain


@pytest.mark.parametrize(
    ("text", "kind", "department"),
    [
        ("the drain in the shop is blocked", "service", "engineering"),
        ("卫生间水管漏了", "service", "engineering"),
        ("Air conditioning not cooling", "service", "engineering"),
        ("电梯停了", "service", "engineering"),
        ("停车场有人乱停车", "complaint", "security"),
        ("停车场的灯坏了", "service", "engineering"),  # a broken light before a parking matter
        ("loud noise at night", "complaint", "security"),
        ("我要投诉保安态度差", "complaint", "security"),
        ("走廊垃圾没人清理", "service", "cleaning"),
        ("strange smell in the corridor", "service", "cleaning"),
        ("please repaint the sign", "service", "engineering"),
        ("the manager was rude to me", "complaint", "customer_service"),
    ],
)
def test_default_rules_route_by_keyword_then_by_kind(text, kind, department):
    assert routing.route(text, kind) == department


def test_a_plaza_table_replaces_the_defaults_and_keeps_its_order():
    rules = [RoutingRule(keyword="lift", department="lift_vendor"), RoutingRule(keyword="light", department="electrical")]
    assert routing.route("the LIFT light is off", "service", rules) == "lift_vendor"
    assert routing.route("light is off", "service", rules) == "electrical"
    assert routing.route("drain blocked", "service", rules) == "engineering"  # fallback by kind
    assert routing.route("drain blocked", "complaint", rules) == "customer_service"


def test_every_default_department_is_a_subject_token():
    from libs.contracts import validate_token

    for department in {r.department for r in routing.DEFAULT_RULES} | set(routing.FALLBACK_DEPARTMENT.values()):
        validate_token(department, "department")


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("pipe burst in B1", "emergency"),
        ("卫生间漏水严重", "emergency"),
        ("people trapped in the lift", "emergency"),
        ("电梯困人", "emergency"),
        ("Fire alarm sounding", "emergency"),
        ("紧急：门锁坏了", "urgent"),
        ("light flickers", "normal"),
    ],
)
def test_priority_from_keywords(text, priority):
    assert routing.priority_of(text) == priority


@pytest.mark.parametrize(
    ("kind", "serviceable", "dispatched"),
    [("service", True, True), ("complaint", True, True), ("service", False, False), ("praise", True, False), ("suggestion", True, False)],
)
def test_only_serviceable_services_and_complaints_become_work_orders(kind, serviceable, dispatched):
    assert domain.is_dispatched(kind, serviceable) is dispatched


def test_the_happy_path_through_the_lifecycle():
    status = "created"
    for action, expected in [("assign", "assigned"), ("start", "in_progress"), ("resolve", "resolved"), ("close", "closed"), ("reopen", "assigned")]:
        status = domain.transition(status, action)
        assert status == expected


@pytest.mark.parametrize("status", ["assigned", "in_progress"])
def test_reassignment_keeps_the_status(status):
    assert domain.transition(status, "assign") == status


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        ("created", "start", ["assign", "cancel"]),
        ("assigned", "resolve", ["assign", "start", "cancel"]),
        ("in_progress", "close", ["assign", "resolve", "cancel"]),
        ("resolved", "assign", ["close", "cancel"]),
        ("closed", "close", ["reopen"]),
        ("closed", "cancel", ["reopen"]),
        ("cancelled", "assign", []),
        ("created", "reopen", ["assign", "cancel"]),
    ],
)
def test_a_refused_transition_names_the_status_and_what_is_allowed(status, action, allowed):
    with pytest.raises(domain.TransitionRefused) as refused:
        domain.transition(status, action)
    assert refused.value.allowed == allowed
    message = str(refused.value)
    assert status in message and all(a in message for a in allowed)


def test_reopen_escalates_from_the_threshold_on():
    assert [domain.should_escalate_reopen(n, 2) for n in (1, 2, 3)] == [False, True, True]
    assert domain.should_escalate_reopen(5, 0) is False


@pytest.mark.parametrize(
    ("status", "rating", "outcome"),
    [
        ("closed", "unsatisfied", "reopened"),
        ("assigned", "unsatisfied", "ignored"),  # the job is being worked on again already
        ("closed", "satisfied", "rated"),
        ("in_progress", "basically_satisfied", "rated"),
    ],
)
def test_only_an_unsatisfied_visit_on_a_closed_job_reopens_it(status, rating, outcome):
    assert domain.visit_outcome(status, rating) == outcome


def test_a_second_dispatch_goes_back_to_the_same_hands_one_reopen_more():
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone.utc)
    closed = {"status": "closed", "assignee": "zhang", "reopen_count": 1, "closed_at": at, "last_rating": None}
    row = domain.reopened(closed, "unsatisfied", at)
    assert (row["status"], row["assignee"], row["reopen_count"], row["closed_at"], row["last_rating"]) == (
        "assigned", "zhang", 2, None, "unsatisfied")
    with pytest.raises(domain.TransitionRefused):
        domain.reopened({**closed, "status": "resolved"}, "unsatisfied", at)


def test_a_new_complaint_gets_its_category_and_the_complaint_sla_class():
    opened = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)
    row = domain.new_work_order("p1", "r1", "A-1", "security", "complaint", "保安态度差", opened, priority="normal")
    assert (row["category"], row["sla_class"], row["original_department"], row["status"]) == (
        "staff_attitude", "complaint", "security", "created")


def test_a_paid_job_is_priced_as_labour_and_one_line_per_material():
    lines = domain.price_job(
        "wo1", 0, 5000,
        [MaterialUse(name="pipe", quantity=2, unit_price_fen=1200), MaterialUse(name="glue", quantity=1, unit_price_fen=300)],
    )
    assert [(l.line_id, l.kind, l.amount_fen) for l in lines] == [
        ("wo1:1", "labour", 5000), ("wo1:2", "material", 2400), ("wo1:3", "material", 300),
    ]


def test_line_ids_continue_after_every_line_the_job_ever_had():
    lines = domain.price_job("wo1", 3, 0, [MaterialUse(name="tape", quantity=3, unit_price_fen=100)])
    assert [(l.line_id, l.amount_fen) for l in lines] == [("wo1:4", 300)]


@pytest.mark.parametrize(
    ("labour", "materials", "field"),
    [
        (-1, [], "labour_fen"),
        (0, [MaterialUse(name="x", quantity=0, unit_price_fen=1)], "materials[0].quantity"),
        (0, [MaterialUse(name="x", quantity=1, unit_price_fen=1), MaterialUse(name="y", quantity=1, unit_price_fen=-5)], "materials[1].unit_price_fen"),
    ],
)
def test_negative_money_is_refused_naming_the_field(labour, materials, field):
    with pytest.raises(domain.MoneyRefused) as refused:
        domain.price_job("wo1", 0, labour, materials)
    assert refused.value.field == field
