"""The department's own rules, pure: training before a post, rotation that moves everyone
and keeps every post staffed, the roster's uncovered hours, lateness and absence, the
phone etiquette figures, what counts on a clerk's daily report."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from libs.contracts.intake import RequestReceived
from libs.runtime.foureyes import FourEyesRefused
from services.staff.attendance import domain as attendance
from services.staff.posts import domain as posts
from services.staff.posts.domain import Refused
from services.staff.records import domain as records
from services.staff.reports import domain as reports
from services.staff.roster import domain as roster
from services.staff.rotation import domain as rotation

UTC = dt.timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def test_a_post_needs_the_induction_and_its_own_course():
    front = posts.CATALOGUE["front_desk"]
    assert posts.missing(front, set()) == ["induction", "front_desk"]
    assert posts.missing(front, {"induction"}) == ["front_desk"]
    assert posts.missing(front, {"induction", "front_desk"}) == []
    assert not posts.CATALOGUE["supervisor"].rotates


DESK = ["cashier", "customer_specialist", "front_desk", "records", "visits"]


def test_rotation_moves_everyone_and_staffs_every_post():
    people = {f"c{i}": post for i, post in enumerate(DESK)}
    plan = rotation.propose(people, DESK, {}, {})
    assert sorted(m.to_post for m in plan.moves) == DESK and plan.unstaffed == []
    assert all(m.to_post != m.from_post for m in plan.moves)


def test_rotation_proposes_the_post_worked_least_so_over_time_everyone_works_each():
    people = {"a": "front_desk", "b": "cashier"}
    worked = {("a", "front_desk"): 1, ("a", "cashier"): 1, ("b", "cashier"): 1, ("b", "front_desk"): 0}
    plan = rotation.propose(people, ["front_desk", "cashier", "visits"], worked, {})
    moves = {m.username: m.to_post for m in plan.moves}
    assert moves["a"] == "visits" and moves["b"] == "front_desk" and plan.unstaffed == ["cashier"]
    # Five people, five posts, five half-years: everyone has worked every post.
    people = {f"c{i}": post for i, post in enumerate(DESK)}
    worked = {(n, p): 1 for n, p in people.items()}
    for _ in range(len(DESK) - 1):
        plan = rotation.propose(people, DESK, worked, {})
        people = {m.username: m.to_post for m in plan.moves}
        for n, p in people.items():
            worked[(n, p)] = worked.get((n, p), 0) + 1
    assert all(worked.get((n, p)) == 1 for n in people for p in DESK)


def test_rotation_prefers_a_qualified_move_and_names_the_training_otherwise():
    people = {"a": "front_desk", "b": "cashier", "c": "visits"}
    missing = {("a", "visits"): ["visits"], ("b", "visits"): ["visits"]}
    plan = rotation.propose(people, ["front_desk", "cashier", "visits"], {}, missing)
    moves = {m.username: m for m in plan.moves}
    assert {m.to_post for m in plan.moves} == {"front_desk", "cashier", "visits"}
    needing = [m for m in plan.moves if m.training_needed]
    assert len(needing) == 1 and needing[0].to_post == "visits"
    assert moves["c"].to_post != "visits"


def test_more_people_than_posts_every_post_still_staffed():
    people = {f"c{i}": "front_desk" for i in range(4)}
    plan = rotation.propose(people, ["front_desk", "cashier"], {}, {})
    assert {m.to_post for m in plan.moves} == {"front_desk", "cashier"}


def test_a_rotation_plan_is_approved_by_a_second_person():
    with pytest.raises(FourEyesRefused):
        rotation.approver("wang.fang", None, "wang.fang")
    with pytest.raises(FourEyesRefused):
        rotation.approver("system", "zhou.min", "zhou.min")
    assert rotation.approver("wang.fang", None, "zhou.min") == "zhou.min"


def test_uncovered_hours_are_what_no_shift_holds():
    open_spans = roster.opening(dt.date(2026, 12, 7), {"mon": [["08:00", "20:00"]]}, SHANGHAI)
    assert open_spans == [(T0, T0 + dt.timedelta(hours=12))]
    shifts = [(T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=5)),
              (T0 + dt.timedelta(hours=4), T0 + dt.timedelta(hours=9))]
    assert roster.uncovered(open_spans, shifts) == [
        (T0, T0 + dt.timedelta(hours=1)), (T0 + dt.timedelta(hours=9), T0 + dt.timedelta(hours=12))]
    assert roster.uncovered(open_spans, [(T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=13))]) == []


def test_a_swap_is_decided_once_by_someone_other_than_who_asked():
    with pytest.raises(FourEyesRefused):
        roster.decide_swap("pending", "wang.fang", "wang.fang", approve=True)
    assert roster.decide_swap("pending", "li.na", "wang.fang", approve=True) == "approved"


def test_lateness_absence_and_the_month():
    shift = {"shift_id": "s1", "username": "li.na", "post": "front_desk", "starts_at": T0,
             "ends_at": T0 + dt.timedelta(hours=8)}
    assert attendance.shift_to_clock_in([shift], T0 - dt.timedelta(minutes=31)) is None
    assert attendance.shift_to_clock_in([shift], T0 - dt.timedelta(minutes=29)) is shift
    assert attendance.minutes_late(T0, T0 + dt.timedelta(minutes=5)) == 0
    assert attendance.minutes_late(T0, T0 + dt.timedelta(minutes=12)) == 12
    late = attendance.line(shift, {"clocked_in_at": T0 + dt.timedelta(minutes=12),
                                   "clocked_out_at": T0 + dt.timedelta(hours=8)}, T0 + dt.timedelta(days=1))
    absent = attendance.line({**shift, "shift_id": "s2"}, None, T0 + dt.timedelta(days=1))
    [month] = attendance.per_person([late, absent])
    assert (month.shifts, month.worked, month.late, month.minutes_late, month.absent) == (2, 1, 1, 12, 1)
    assert attendance.month_bounds("2026-12", SHANGHAI)[0] == dt.datetime(2026, 11, 30, 16, tzinfo=UTC)
    with pytest.raises(Refused):
        attendance.month_bounds("2026-13", SHANGHAI)


def test_phone_etiquette_figures_per_clerk():
    calls = [reports.Call(received_by="li.na", rang_at=T0, answered_at=T0 + dt.timedelta(seconds=s),
                          greeting=g, read_back=r) for s, g, r in ((8, True, True), (15, True, False), (16, False, False))]
    [f] = reports.figures(calls, [("li.na", "satisfied"), ("li.na", "unsatisfied")])
    assert (f.calls, f.within_three_rings, f.within_three_rings_pct, f.average_answer_s) == (3, 2, 66.7, 13.0)
    assert (f.greeting_pct, f.read_back_pct, f.visits, f.satisfaction_pct) == (66.7, 33.3, 2, 50.0)


def test_the_daily_report_counts_what_a_person_did_not_what_the_system_did():
    e = RequestReceived(plaza_id="p1", correlation_id="r", request_id="r", unit="A-1", channel="phone",
                        kind="service", text="x", received_by="li.na")
    assert records.activity(e) == ("li.na", "request", "r", "phone")
    assert records.activity(RequestReceived(plaza_id="p1", correlation_id="r", request_id="r", unit="A-1",
                                            channel="online", kind="service", text="x",
                                            actor="occupant:p1:A-1:x", received_by="occupant:p1:A-1:x")) is None
    with pytest.raises(FourEyesRefused):
        records.reviewer("li.na", "li.na")


def test_a_half_years_plan_is_due_in_the_month_before_it():
    assert rotation.next_rotation(dt.date(2026, 12, 5)) == dt.date(2027, 1, 1)
    assert rotation.next_rotation(dt.date(2027, 1, 1)) == dt.date(2027, 7, 1)
    assert rotation.draft_due(dt.date(2026, 12, 5)) == dt.date(2027, 1, 1)
    assert rotation.draft_due(dt.date(2026, 11, 30)) is None
    assert rotation.half_year(dt.date(2027, 7, 1)) == "2027H2"
