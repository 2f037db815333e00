"""The roster's rules: who is on shift, whom a job may go to, whom a supervisor's escalation names."""

from __future__ import annotations

import datetime as dt

from services.dispatch.roster.domain import (
    Shift, assignees, covers, escalation_target, off_shift_refused, on_duty, plaza_supervisors, supervisors_on_duty,
)

UTC = dt.timezone.utc
NOON = dt.datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def shift(username: str, start_h: int, end_h: int, *, post: str = "fitter", department: str | None = None,
          shift_id: str | None = None) -> Shift:
    day = dt.datetime(2026, 12, 5, tzinfo=UTC)
    return Shift(shift_id=shift_id or f"{username}-{start_h}", username=username, post=post, department=department,
                 starts_at=day + dt.timedelta(hours=start_h), ends_at=day + dt.timedelta(hours=end_h))


def person(username: str, department: str | None = "engineering", *, active: bool = True, roles=("staff",)) -> dict:
    return {"username": username, "name": username.title(), "department": department, "active": active, "roles": list(roles)}


PEOPLE = {p["username"]: p for p in (
    person("wang"), person("zhao"), person("qian"), person("gone", active=False),
    person("sun", "security"), person("lead-li", "customer_service", roles=("supervisor",)),
    person("lead-zhou", "customer_service", roles=("supervisor",)),
)}


def test_a_shift_covers_its_start_and_not_its_end():
    s = shift("wang", 0, 4)
    assert covers(s, s.starts_at) and not covers(s, s.ends_at)
    assert covers(s, s.ends_at - dt.timedelta(seconds=1))


def test_on_duty_is_the_departments_active_people_whose_shift_covers_now():
    shifts = [shift("wang", 0, 8), shift("zhao", 8, 16), shift("gone", 0, 8), shift("sun", 0, 8),
              shift("qian", 0, 8, department="security")]  # qian covers security today
    assert list(on_duty(shifts, PEOPLE, "engineering", NOON)) == ["wang"]
    assert sorted(on_duty(shifts, PEOPLE, "security", NOON)) == ["qian", "sun"]


def test_of_two_overlapping_shifts_the_later_end_is_shown():
    duty = on_duty([shift("wang", 0, 6), shift("wang", 2, 9)], PEOPLE, "engineering", NOON)
    assert duty["wang"].ends_at.hour == 9


def test_while_the_roster_covers_now_only_people_on_shift_may_take_the_job():
    duty = on_duty([shift("wang", 0, 8)], PEOPLE, "engineering", NOON)
    assert off_shift_refused("wang", "engineering", duty) is None
    assert off_shift_refused("zhao", "engineering", duty) == "'zhao' is not on shift now; on engineering's shift: wang"


def test_a_department_without_a_roster_or_between_shifts_is_never_locked_out():
    assert off_shift_refused("zhao", "engineering", {}) is None
    between = on_duty([shift("wang", 0, 2), shift("zhao", 8, 16)], PEOPLE, "engineering", NOON)
    assert between == {} and off_shift_refused("qian", "engineering", between) is None


def test_assignees_are_the_people_on_shift_longest_staying_first_else_the_whole_department():
    people = [PEOPLE[u] for u in ("wang", "zhao", "qian", "gone")]
    duty = on_duty([shift("wang", 0, 6), shift("zhao", 2, 9)], PEOPLE, "engineering", NOON)
    offered = assignees(people, duty)
    assert [(a.username, a.on_shift, a.shift_ends_at.hour) for a in offered] == [("zhao", True, 9), ("wang", True, 6)]
    assert [(a.username, a.on_shift) for a in assignees(people, {})] == [("qian", False), ("wang", False), ("zhao", False)]


def test_a_supervisors_escalation_names_the_supervisor_on_duty_else_the_plazas_supervisors():
    shifts = [shift("lead-li", 0, 8, post="supervisor"), shift("lead-zhou", 8, 16, post="supervisor"),
              shift("wang", 0, 8)]
    duty = supervisors_on_duty(shifts, PEOPLE, NOON)
    assert duty == ["lead-li"]
    everyone = plaza_supervisors(list(PEOPLE.values()))
    assert everyone == ["lead-li", "lead-zhou"]
    assert escalation_target("supervisor", duty, everyone) == (["lead-li"], True)
    assert escalation_target("supervisor", [], everyone) == (["lead-li", "lead-zhou"], False)
    assert escalation_target("manager", duty, everyone) == ([], False)
