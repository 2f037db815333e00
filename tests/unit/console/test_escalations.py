"""The escalation inbox's rules: a job's standing escalation in dispatch's list shape,
the person's own level first and the oldest first."""

from __future__ import annotations

import datetime as dt

from services.console.escalations import domain

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.timezone.utc)


def job(id="wo-1", status="assigned", major=False, escalations=(), **extra) -> dict:
    return {"id": id, "unit": "A-101", "department": "engineering", "kind": "service", "major": major,
            "status": status, "created_at": "2026-12-05T06:00:00Z", "next_due_at": "2026-12-05T12:00:00Z",
            "deadlines": [{"name": "respond", "round": 1, "due_at": "2026-12-05T06:30:00Z"}],
            "escalations": list(escalations), "text": "灯不亮", **extra}


def esc(level, at, cause="respond:1", reason="respond deadline missed"):
    return {"level": level, "occurred_at": at, "cause": cause, "reason": reason, "actor": "sla"}


def test_a_job_stands_at_the_highest_rung_it_reached():
    item = domain.item_of(job(escalations=[esc("supervisor", "2026-12-05T06:31:00Z"),
                                           esc("manager", "2026-12-05T07:00:00Z")]), NOW)
    assert item["level"] == "manager" and item["escalated_at"] == "2026-12-05T07:00:00Z"
    assert item["age_minutes"] == 60
    assert item["deadline"] == "2026-12-05T06:30:00Z", "the deadline whose breach raised it"
    assert set(item) >= {"work_order_id", "unit", "area", "department", "kind", "major", "level", "reason",
                         "deadline", "escalated_at", "age_minutes", "status"}


def test_a_major_complaint_is_in_the_managers_inbox_even_before_its_record_is_read():
    item = domain.item_of(job(major=True, kind="complaint"), NOW)
    assert item["level"] == "manager" and item["major"] is True and item["age_minutes"] == 120


def test_a_job_done_or_never_escalated_is_not_in_the_inbox():
    assert domain.item_of(job(status="closed", escalations=[esc("supervisor", "2026-12-05T06:31:00Z")]), NOW) is None
    assert domain.item_of(job(), NOW) is None


def test_the_manager_sees_the_managers_rung_first_and_the_oldest_first():
    items = [{"work_order_id": "a", "level": "supervisor", "age_minutes": 300},
             {"work_order_id": "b", "level": "manager", "age_minutes": 10},
             {"work_order_id": "c", "level": "manager", "age_minutes": 50}]
    prefer = domain.preferred_level({"manager"})
    assert [i["work_order_id"] for i in domain.inbox(items, None, prefer)] == ["c", "b", "a"]
    assert [i["work_order_id"] for i in domain.inbox(items, None, domain.preferred_level({"supervisor"}))] == ["a", "c", "b"]
    assert [i["work_order_id"] for i in domain.inbox(items, "supervisor", prefer)] == ["a"]
