"""The escalation inbox's rules: the person's own level first and the oldest first."""

from __future__ import annotations

from services.console.escalations import domain

def test_the_manager_sees_the_managers_rung_first_and_the_oldest_first():
    items = [{"work_order_id": "a", "level": "supervisor", "age_minutes": 300},
             {"work_order_id": "b", "level": "manager", "age_minutes": 10},
             {"work_order_id": "c", "level": "manager", "age_minutes": 50}]
    prefer = domain.preferred_level({"manager"})
    assert [i["work_order_id"] for i in domain.inbox(items, None, prefer)] == ["c", "b", "a"]
    assert [i["work_order_id"] for i in domain.inbox(items, None, domain.preferred_level({"supervisor"}))] == ["a", "c", "b"]
    assert [i["work_order_id"] for i in domain.inbox(items, "supervisor", prefer)] == ["a"]
