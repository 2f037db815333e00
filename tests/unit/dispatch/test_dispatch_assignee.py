"""Who may take a work order: active staff of the job's department at its plaza."""

from __future__ import annotations

import pytest

from services.dispatch.work_orders.domain import assignee_refused


def person(department: str | None = "engineering", active: bool = True) -> dict:
    return {"department": department, "active": active}


def test_active_staff_of_the_department_may_take_the_job():
    assert assignee_refused("zhao", "p1", "engineering", person()) is None


@pytest.mark.parametrize(("who", "why"), [
    (None, "'zhao' is not staff of plaza 'p1'"),
    (person("security"), "'zhao' works in security, not engineering"),
    (person(None), "'zhao' works in no department, not engineering"),
    (person(active=False), "'zhao' is no longer active"),
])
def test_anyone_else_is_refused_saying_why(who, why):
    assert assignee_refused("zhao", "p1", "engineering", who) == why
