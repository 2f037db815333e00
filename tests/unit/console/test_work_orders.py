"""The work-order queue's rules: SLA colours, the queue's order, the actions a status and
a role allow, and the resolve form's yuan sent as fen."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.console.gateway.domain import UpstreamError
from services.console.work_orders import domain
from services.console.work_orders import services as work_orders

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.timezone.utc)


def at(**delta) -> str:
    return (NOW + dt.timedelta(**delta)).isoformat().replace("+00:00", "Z")


def order(id="wo-1", status="assigned", created=None, dues=(), **extra) -> dict:
    deadlines = [{"name": name, "round": 1, "due_at": due, "state": state} for name, due, state in dues]
    return {"id": id, "status": status, "created_at": created or at(hours=-1), "deadlines": deadlines,
            "department": "engineering", **extra}


def test_a_job_past_its_deadline_is_breached():
    assert domain.sla_colour(order(dues=[("resolve", at(minutes=-1), "running")]), NOW) == "breached"
    assert domain.sla_colour(order(dues=[("respond", at(hours=2), "breached")]), NOW) == "breached"


def test_a_job_in_the_last_quarter_of_its_window_is_due():
    # Opened 3 h ago, due in 50 min: the last quarter of a 3 h 50 min window.
    assert domain.sla_colour(order(created=at(hours=-3), dues=[("resolve", at(minutes=50), "running")]), NOW) == "due"
    assert domain.sla_colour(order(created=at(hours=-1), dues=[("resolve", at(hours=2), "running")]), NOW) == "ok"


def test_a_long_job_turns_due_only_in_its_last_two_hours():
    week = order(created=at(days=-6), dues=[("resolve", at(hours=5), "running")])
    assert domain.sla_colour(week, NOW) == "ok", "a quarter of a week would be 42 hours of amber"
    week["deadlines"][0]["due_at"] = at(minutes=90)
    assert domain.sla_colour(week, NOW) == "due"


def test_a_job_with_nothing_running_has_no_colour():
    assert domain.sla_colour(order(status="closed", dues=[("resolve", at(hours=-1), "met")]), NOW) is None
    assert domain.sla_colour(order(dues=[]), NOW) is None


def test_the_nearest_running_deadline_counts_not_a_met_one():
    job = order(dues=[("respond", at(minutes=-30), "met"), ("resolve", at(hours=20), "running")])
    assert domain.sla_colour(job, NOW) == "ok"


def test_the_queue_is_each_job_once_nearest_deadline_first_none_last():
    late = order("late", dues=[("resolve", at(hours=5), "running")])
    soon = order("soon", dues=[("respond", at(minutes=10), "running")])
    none = order("none", status="resolved", updated_at=at(hours=-2))
    newer = order("newer", status="resolved", updated_at=at(minutes=-5))
    rows = domain.queue_rows([none, late, soon, late, newer], None, NOW)
    assert [r["id"] for r in rows] == ["soon", "late", "newer", "none"]
    assert rows[0]["minutes_left"] == 10 and rows[2]["minutes_left"] is None


def test_the_page_shows_a_scannable_number_of_rows_and_says_how_many_more():
    rows, more = domain.shown([{"id": str(n)} for n in range(305)])
    assert len(rows) == 300 and more == 5
    assert domain.shown([{"id": "1"}]) == ([{"id": "1"}], 0)


def test_the_deadline_filter_keeps_the_pressing_ones():
    jobs = [order("ok", dues=[("resolve", at(hours=20), "running")]),
            order("due", created=at(hours=-3), dues=[("resolve", at(minutes=20), "running")]),
            order("late", dues=[("resolve", at(minutes=-5), "running")])]
    assert [r["id"] for r in domain.queue_rows(jobs, "breached", NOW)] == ["late"]
    assert [r["id"] for r in domain.queue_rows(jobs, "due", NOW)] == ["late", "due"]
    assert len(domain.queue_rows(jobs, "", NOW)) == 3


def test_the_status_filter_means_the_open_ones_by_default():
    assert domain.statuses_of("") == ("created", "assigned", "in_progress", "resolved")
    assert domain.statuses_of("closed") == ("closed",)
    assert domain.statuses_of("nonsense") == domain.OPEN_STATUSES


def test_department_staff_are_offered_their_own_department_only():
    assert domain.departments_offered("engineering", ["security"]) == ["engineering"]
    offered = domain.departments_offered(None, ["landscaping", "security"])
    assert offered[:4] == list(domain.DEPARTMENTS) and offered[-1] == "landscaping"


@pytest.mark.parametrize("status, roles, actions", [
    ("created", {"clerk"}, ["assign", "cancel", "escalate", "reroute", "reclassify"]),
    ("assigned", {"staff"}, ["assign", "start", "escalate"]),
    ("in_progress", {"staff"}, ["assign", "resolve", "escalate"]),
    ("resolved", {"clerk"}, ["close", "cancel", "escalate", "reclassify"]),
    ("resolved", {"supervisor"}, ["close", "cancel", "escalate", "reclassify"]),
    ("in_progress", {"supervisor"}, ["assign", "resolve", "cancel", "escalate", "reroute", "reclassify"]),
    ("closed", {"manager"}, []),
    ("closed", {"clerk"}, ["reclassify"]),
    ("cancelled", {"supervisor"}, ["reclassify"]),
    ("assigned", {"auditor"}, []),
    ("assigned", {"finance"}, []),
])
def test_the_actions_a_status_and_a_role_allow(status, roles, actions):
    assert domain.actions_for(status, frozenset(roles)) == actions


def test_the_resolve_form_sends_labour_in_fen_and_stock_lines_by_sku():
    body = domain.resolve_body("yes", "¥1,234.50", ["PPR-20", "", "TAPE"], ["2", "1", ""], "  换了水管 ")
    assert body == {"paid": True, "labour_fen": 123450, "note": "换了水管",
                    "materials": [{"sku": "PPR-20", "quantity": 2}, {"sku": "TAPE", "quantity": 1}]}
    assert domain.resolve_body("no", "", [], [], "") == {"paid": False, "labour_fen": 0, "materials": []}


@pytest.mark.parametrize("typed, field", [
    ("12.345", "labour_yuan"), ("-5", "labour_yuan"), ("fifty", "labour_yuan"),
])
def test_a_labour_amount_that_is_not_yuan_names_its_field(typed, field):
    with pytest.raises(domain.FormRefused) as refused:
        domain.resolve_body("yes", typed, [], [], None)
    assert refused.value.field == field


def test_a_material_quantity_must_be_a_positive_whole_number():
    with pytest.raises(domain.FormRefused) as refused:
        domain.material_lines(["A", "B"], ["1", "0"])
    assert refused.value.field == "quantity_1"


def test_a_job_without_a_unit_record_tells_its_own_history():
    job = order(status="closed", dues=[("respond", at(hours=-2), "met")], first_responded_at=at(minutes=-50),
                closed_at=at(minutes=-5))
    job["deadlines"][0]["met_at"] = at(minutes=-50)
    assert [e["label"] for e in domain.own_history(job)] == ["Work order opened", "First assigned", "Respond by", "Closed"]


def test_the_units_record_of_the_job_is_its_requests_correlation_named_in_the_persons_words():
    items = [{"occurred_at": at(hours=-1), "type": "WorkOrderCreated", "summary": "work order created", "correlation_id": "r1"},
             {"occurred_at": at(hours=-1), "type": "WorkOrderCreated", "summary": "another job", "correlation_id": "r2"}]
    assert domain.recorded_history(items, "r1") == [
        {"at": at(hours=-1), "label": "Work order opened", "detail": "work order created"}]


class FakeCalls:
    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.asked: list[tuple] = []

    async def get(self, service, path, **params):
        self.asked.append((service, path, params))
        answer = self.answers.get((service, path, params.get("status")), self.answers.get((service, path)))
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_open_queue_is_one_call_and_a_chosen_status_its_own():
    path = "/v1/plazas/p1/work-orders"
    jobs = [order(f"wo-{s}", status=s) for s in domain.OPEN_STATUSES]
    calls = FakeCalls({("dispatch", path): {"items": jobs, "next": None}})
    rows = asyncio.run(work_orders.queue(calls, "p1", "", "engineering", ""))
    assert sorted(r["id"] for r in rows) == sorted(f"wo-{s}" for s in domain.OPEN_STATUSES)
    assert [(p.get("open"), p["department"]) for _, _, p in calls.asked] == [("true", "engineering")]

    closed = FakeCalls({("dispatch", path, "closed"): {"items": [order("wo-c", status="closed")], "next": None}})
    rows = asyncio.run(work_orders.queue(closed, "p1", "closed", None, ""))
    assert [r["id"] for r in rows] == ["wo-c"] and closed.asked[0][2]["status"] == "closed"


def test_only_active_staff_may_be_chosen_and_a_person_who_may_not_list_types_a_name():
    path = "/v1/plazas/p1/staff"
    calls = FakeCalls({("staff", path): {"items": [{"username": "wang", "active": True},
                                                   {"username": "zhao", "active": False}]}})
    assert [p["username"] for p in asyncio.run(work_orders.assignable(calls, "p1", "engineering"))] == ["wang"]
    assert calls.asked[0][2]["department"] == "engineering"
    refused = FakeCalls({("staff", path): UpstreamError("staff", 403, {"detail": "supervisor, manager only"})})
    assert asyncio.run(work_orders.assignable(refused, "p1", "engineering")) is None


def test_while_the_departments_roster_covers_now_only_the_people_on_shift_are_offered():
    staff = [{"username": "wang", "name": "王工"}, {"username": "zhao", "name": "赵工"}]
    offered = {"roster": True, "items": [{"username": "zhao", "on_shift": True, "shift_ends_at": "2026-12-05T10:00:00Z"}]}
    assert domain.on_shift_only(staff, offered) == [
        {"username": "zhao", "name": "赵工", "shift_ends_at": "2026-12-05T10:00:00Z"}]
    # No roster now, dispatch not telling, or a person who may not list staff: as before.
    assert domain.on_shift_only(staff, {"roster": False, "items": []}) == staff
    assert domain.on_shift_only(staff, None) == staff
    assert domain.on_shift_only(None, offered) is None
