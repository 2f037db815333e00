"""The escalation inbox's rules: the person's own level first and the oldest first."""

from __future__ import annotations

from services.console.escalations import domain
from services.console.work_orders import domain as wo
from tests.unit.console.test_desk_pages import render

def test_the_manager_sees_the_managers_rung_first_and_the_oldest_first():
    items = [{"work_order_id": "a", "level": "supervisor", "age_minutes": 300},
             {"work_order_id": "b", "level": "manager", "age_minutes": 10},
             {"work_order_id": "c", "level": "manager", "age_minutes": 50}]
    prefer = domain.preferred_level({"manager"})
    assert [i["work_order_id"] for i in domain.inbox(items, None, prefer)] == ["c", "b", "a"]
    assert [i["work_order_id"] for i in domain.inbox(items, None, domain.preferred_level({"supervisor"}))] == ["a", "c", "b"]
    assert [i["work_order_id"] for i in domain.inbox(items, "supervisor", prefer)] == ["a"]


def test_an_escalation_says_whom_it_was_raised_to_and_whether_they_are_on_duty():
    item = {"work_order_id": "wo-1", "level": "supervisor", "age_minutes": 5, "unit": "A-203", "area": None,
            "text": "漏水", "kind": "service", "major": False, "cause": "respond:0", "reason": "respond deadline missed",
            "escalated_at": "2026-12-05T02:00:00Z", "department": "engineering", "deadline": "respond",
            "status": "created", "to": ["lead-li"], "on_duty": True}
    html = render("escalations/rows.html", items=[item], d=domain, wo=wo, prefer="supervisor")
    assert "→ lead-li (当班)" in html
    fallback = render("escalations/rows.html", items=[{**item, "to": ["lead-li", "lead-zhou"], "on_duty": False}],
                      d=domain, wo=wo, prefer="supervisor")
    assert "→ lead-li, lead-zhou<" in fallback and "当班" not in fallback


def test_an_escalation_names_whom_it_was_raised_to_by_their_name_where_staff_knows_them():
    items = [{"work_order_id": "wo-1", "level": "supervisor", "age_minutes": 5, "to": ["lead-li", "lead-gone"]}]
    [named] = domain.inbox(items, None, "supervisor", {"lead-li": "李主管 Li"})
    assert named["to_names"] == ["李主管 Li", "lead-gone"]  # a username staff does not list stays as it is
    item = {"work_order_id": "wo-1", "level": "supervisor", "age_minutes": 5, "unit": "A-203", "area": None,
            "text": "漏水", "kind": "service", "major": False, "cause": "respond:0", "reason": "respond deadline missed",
            "escalated_at": "2026-12-05T02:00:00Z", "department": "engineering", "deadline": "respond",
            "status": "created", "to": ["lead-li"], "on_duty": True, "to_names": ["李主管 Li"]}
    html = render("escalations/rows.html", items=[item], d=domain, wo=wo, prefer="supervisor")
    assert "→ 李主管 Li (当班)" in html
