"""The return-visit worklist's rules: overdue first, the answer's body, and when a job
counts as sent back (二次派单)."""

from __future__ import annotations

import pytest

from services.console.visits import domain


def test_overdue_visits_come_first_then_the_one_due_first():
    visits = [
        {"id": "v1", "status": "pending", "due_at": "2026-12-05T09:00:00Z"},
        {"id": "v2", "status": "overdue", "due_at": "2026-12-04T10:00:00Z"},
        {"id": "v3", "status": "pending", "due_at": "2026-12-05T08:00:00Z"},
        {"id": "v4", "status": "overdue", "due_at": "2026-12-03T10:00:00Z"},
        {"id": "v2", "status": "overdue", "due_at": "2026-12-04T10:00:00Z"},
    ]
    assert [v["id"] for v in domain.worklist_order(visits)] == ["v4", "v2", "v3", "v1"]


def test_the_answer_carries_the_rating_the_channel_and_a_comment_if_any():
    assert domain.response_body("unsatisfied", "visit", " 还是漏 ") == {
        "rating": "unsatisfied", "channel": "visit", "comment": "还是漏"}
    assert domain.response_body("satisfied", None, "") == {"rating": "satisfied", "channel": "phone"}


def test_an_unknown_rating_is_refused_naming_the_field():
    with pytest.raises(domain.FormRefused) as refused:
        domain.response_body("great", "phone", None)
    assert refused.value.field == "rating"


def test_the_job_is_sent_back_once_its_reopen_count_passes_the_visits():
    visit = {"rating": "unsatisfied", "reopen_count": 0}
    assert not domain.reopened(visit, {"status": "closed", "reopen_count": 0})
    assert domain.waiting_for_reopen(visit, {"status": "closed", "reopen_count": 0})
    assert domain.reopened(visit, {"status": "assigned", "reopen_count": 1})
    assert not domain.waiting_for_reopen(visit, {"status": "assigned", "reopen_count": 1})
    assert not domain.waiting_for_reopen({"rating": "satisfied", "reopen_count": 0}, {"status": "closed", "reopen_count": 0})
