"""The day's payment reminders approved at once from the notices list: a lead is offered
those someone else wrote, sends them with one button, and reads how many went out and which
waited and why (a complaint open on the unit); a clerk is offered nothing."""

from __future__ import annotations

import json

import httpx
from litestar.testing import TestClient

from libs.runtime.auth import Principal
from services.console.notices import api as notices_api
from services.console.notices import domain
from tests.support.console_pages import console_app

LI = Principal(sub="supervisor-li", name="李主管", roles=frozenset({"supervisor"}))
WANG = Principal(sub="clerk-wang", name="王客服", roles=frozenset({"clerk"}))


def reminder(notice_id: str, unit: str, status: str = "pending", created_by: str = "billing") -> dict:
    return {"id": notice_id, "kind": "dunning", "status": status, "title": "催缴通知书", "created_by": created_by,
            "audience": {"units": [unit]}, "audience_text": unit, "urgent": False, "read": 0, "recipients": 0}


class Notices:
    """The notices service: three reminders and a tip waiting; A-301 has a complaint open."""

    def __init__(self) -> None:
        self.items = [reminder("n1", "A-301"), reminder("n2", "A-302"), reminder("n3", "A-201"),
                      {**reminder("n4", "A-303", created_by="supervisor-li")},
                      {**reminder("n5", "B-101"), "kind": "tip", "title": "温馨提示"}]
        self.asked: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/plazas/p1/notices/approvals":
            body = json.loads(request.content)
            self.asked.append(body)
            approved, refused = [], []
            for notice_id in body["notice_ids"]:
                if notice_id == "n1":
                    refused.append({"notice_id": "n1", "status": 409, "field": "unit",
                                    "detail": "unit 'A-301' has a complaint open: dunning waits until it is closed"})
                else:
                    approved.append(notice_id)
            for n in self.items:
                if n["id"] in approved:
                    n["status"] = "published"
            return httpx.Response(200, json={"approved": approved, "refused": refused})
        assert request.url.path == "/v1/plazas/p1/notices", request.url
        return httpx.Response(200, json={"items": self.items, "next": None})


def test_a_lead_approves_the_reminders_at_once_and_reads_which_waited():
    service = Notices()
    with TestClient(console_app(notices_api.ROUTES, service, LI)) as client:
        page = client.get("/notices")
        assert 'id="reminders-to-approve"' in page.text and "3 份催缴通知书待您审批" in page.text
        assert "单元 A-301" in page.text and "named units" not in page.text  # the audience in the desk's words
        # Not the lead's own (four eyes), not a tip.
        offered = [line for line in page.text.splitlines() if 'name="notice_id"' in line]
        assert [x for x in ("n1", "n2", "n3", "n4", "n5") if any(f'value="{x}"' in line for line in offered)] == [
            "n1", "n2", "n3"]

        done = client.post("/notices/approvals", data={"notice_id": ["n1", "n2", "n3"]})
        assert done.status_code == 200
        assert service.asked == [{"notice_ids": ["n1", "n2", "n3"]}]
        assert "已批准并发送 2 份。" in done.text
        assert "未批准: 催缴通知书（A-301） — unit &#39;A-301&#39; has a complaint open" in done.text
        # What is left to approve: the one held back.
        assert "1 份催缴通知书待您审批" in done.text


def test_a_clerk_is_offered_no_approval_and_nothing_is_asked_without_a_choice():
    service = Notices()
    with TestClient(console_app(notices_api.ROUTES, service, WANG)) as client:
        assert 'id="reminders-to-approve"' not in client.get("/notices").text
        r = client.post("/notices/approvals", data={}, follow_redirects=False)
        assert r.status_code == 303 and service.asked == []


def test_the_outcome_names_each_refused_by_title_and_unit():
    items = [reminder("n1", "A-301")]
    outcome = domain.approvals_outcome({"approved": ["n2"], "refused": [
        {"notice_id": "n1", "status": 409, "detail": "held"}, {"notice_id": "gone", "status": 404, "detail": "no notice"}]},
        items)
    assert outcome == {"approved": 1, "refused": [{"name": "催缴通知书（A-301）", "detail": "held"},
                                                  {"name": "gone", "detail": "no notice"}]}


def test_an_audience_reads_in_the_desks_words():
    assert domain.audience_parts({"floors": ["3"], "arrears_over_days": 30}) == [
        ("Floors {names}", {"names": "3"}), ("In arrears over {days} days", {"days": 30})]
    assert domain.audience_parts({}) == [("The whole plaza", {})]
    many = domain.audience_parts({"units": [f"A-{i}" for i in range(8)], "key_account": False})
    assert many == [("Not key accounts", {}),
                    ("Units {names} and {more} more", {"names": "A-0, A-1, A-2, A-3, A-4", "more": 3})]
