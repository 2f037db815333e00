"""The desk's and the register's calls against a fake ``calls``: what is asked of which
service, and what a refusal does to the page."""

from __future__ import annotations

from services.console.desk import services as desk
from services.console.gateway.domain import UpstreamError
from services.console.gateway.services import Calls
from services.console.units import services as units


class FakeCalls(Calls):
    """Answers by (service, path); an exception as an answer is raised. What the real
    ``Calls`` builds on get and post (get_or_none) is the real one."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.asked: list[tuple] = []

    def _answer(self, service, path, **extra):
        self.asked.append((service, path, extra))
        answer = self.answers.get((service, path))
        if isinstance(answer, Exception):
            raise answer
        return answer(**extra) if callable(answer) else answer

    async def get(self, service, path, **params):
        return self._answer(service, path, **params)

    async def post(self, service, path, body=None, *, headers=None):
        return self._answer(service, path, body=body, headers=headers)


NOT_FOUND = UpstreamError("intake", 404, {"detail": "not found"})


async def test_no_proposal_is_shown_while_intake_has_no_preview():
    calls = FakeCalls({("intake", "/v1/plazas/demo/requests/preview"): NOT_FOUND})
    assert await desk.preview(calls, "demo", {"text": "漏水"}) is None
    assert await desk.preview(calls, "demo", None) is None
    assert len(calls.asked) == 1, "no text: intake is not asked"


async def test_a_request_is_logged_with_the_forms_idempotency_key():
    calls = FakeCalls({("intake", "/v1/plazas/demo/requests"): {"id": "r1", "kind": "service", "serviceable": True}})
    answer = await desk.log_request(calls, "demo", {"channel": "phone", "unit": "A-203", "text": "漏水"}, "k-1")
    assert answer["id"] == "r1"
    assert calls.asked[0][2]["headers"] == {"Idempotency-Key": "k-1"}


async def test_the_type_ahead_asks_archive_only_for_a_typed_query():
    found = {"items": [{"unit": "A-203", "occupant": {"name": "李明", "phone": "138"}}], "next": None}
    calls = FakeCalls({("archive", "/v1/plazas/demo/units"): found})
    assert await desk.find_units(calls, "demo", "  ") == []
    matches = await desk.find_units(calls, "demo", "李")
    assert [(m.unit, m.field) for m in matches] == [("A-203", "name")]
    assert calls.asked[0][2]["q"] == "李"


async def test_a_glance_leaves_out_what_the_person_may_not_read():
    forbidden = UpstreamError("billing", 403, {"detail": "no"})
    calls = FakeCalls({
        ("archive", "/v1/plazas/demo/units/A-203"): {"unit": "A-203", "outstanding_defects": []},
        ("dispatch", "/v1/plazas/demo/work-orders"): {"items": [{"id": "w1", "status": "assigned"}], "next": None},
        ("survey", "/v1/plazas/demo/visits"): {"items": [], "next": None},
        ("billing", "/v1/plazas/demo/accounts/A-203"): forbidden,
    })
    seen = await desk.glance(calls, "demo", "A-203")
    assert [w["id"] for w in seen.open_work_orders] == ["w1"] and seen.owed_fen is None
    assert ("dispatch", "/v1/plazas/demo/work-orders", {"unit": "A-203", "limit": 500}) in calls.asked


async def test_the_whole_timeline_is_read_page_by_page_and_shown_newest_first():
    pages = {None: {"items": [{"event_id": "1", "occurred_at": "2026-12-01"}], "next": "c1"},
             "c1": {"items": [{"event_id": "2", "occurred_at": "2026-12-02"}], "next": None}}
    calls = FakeCalls({("archive", "/v1/plazas/demo/units/A-203/timeline"): lambda cursor, limit: pages[cursor]})
    assert [i["event_id"] for i in await units.timeline(calls, "demo", "A-203")] == ["2", "1"]
