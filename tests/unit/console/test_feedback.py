"""Suggestions and praise as the manager follows them through: the states in the
department's words, the buttons each suggestion offers to whom, a decision's reply, and the
praise of each department."""

from __future__ import annotations

import asyncio

import pytest

from services.console.feedback import domain
from services.console.feedback import services as feedback
from services.console.i18n import services as catalogue


def suggestion(state: str, allowed: list[str], **extra) -> dict:
    return {"request_id": extra.pop("request_id", "r1"), "unit": "A-101", "text": "建议停车场增加充电桩",
            "received_at": extra.pop("received_at", "2026-12-04T02:00:00Z"), "state": state, "reply": None,
            "allowed_states": allowed, "history": [], **extra}


def test_the_states_read_in_the_departments_words():
    zh = catalogue.load()
    assert [zh.gettext("zh-CN", domain.state_name(s)) for s in domain.STATES] == ["已收到", "考虑中", "已采纳", "未采纳"]
    assert zh.gettext("zh-CN", "Suggestions and praise") == "建议与表扬"


def test_a_suggestion_offers_the_states_allowed_next_to_the_leads_only():
    received = suggestion("received", ["under_consideration"])
    considered = suggestion("under_consideration", ["adopted", "declined"])
    decided = suggestion("adopted", [])
    for roles in ({"manager"}, {"supervisor"}):
        assert domain.offered(received, roles) == ["under_consideration"]
        assert domain.offered(considered, roles) == ["adopted", "declined"]
        assert domain.offered(decided, roles) == []
    for roles in ({"clerk"}, {"auditor"}, {"finance"}, {"staff"}):
        assert domain.offered(considered, roles) == [], roles
    assert not domain.reply_required(["under_consideration"])
    assert domain.reply_required(["adopted", "declined"])


def test_a_decision_without_a_reply_is_refused_by_the_console_before_asking():
    class Calls:
        posted: list = []

        async def post(self, service, path, body):
            self.posted.append((service, path, body))
            return {}

    calls = Calls()
    with pytest.raises(domain.FormRefused) as refused:
        asyncio.run(feedback.follow_up(calls, "demo", "r1", {"state": "adopted", "reply": "  ", "note": "已讨论"}))
    assert refused.value.field == "reply"
    assert calls.posted == [], "nothing was sent to dispatch"

    asyncio.run(feedback.follow_up(calls, "demo", "r1", {"state": "under_consideration", "reply": "", "note": " 下周例会讨论 "}))
    asyncio.run(feedback.follow_up(calls, "demo", "r1", {"state": "declined", "reply": "场地不足，暂不增加", "note": ""}))
    assert calls.posted == [
        ("dispatch", "/v1/plazas/demo/suggestions/r1/follow-up", {"state": "under_consideration", "note": "下周例会讨论"}),
        ("dispatch", "/v1/plazas/demo/suggestions/r1/follow-up", {"state": "declined", "reply": "场地不足，暂不增加"}),
    ]


def test_suggestions_are_filtered_by_state_newest_first():
    items = [suggestion("received", [], request_id="old", received_at="2026-11-01T02:00:00Z"),
             suggestion("adopted", [], request_id="new", received_at="2026-12-04T02:00:00Z"),
             suggestion("under_consideration", [], request_id="mid", received_at="2026-11-20T02:00:00Z")]
    assert [s["request_id"] for s in domain.suggestions_shown(items, "")] == ["new", "mid", "old"]
    assert [s["request_id"] for s in domain.suggestions_shown(items, "open")] == ["mid", "old"]
    assert [s["request_id"] for s in domain.suggestions_shown(items, "adopted")] == ["new"]
    assert [s["request_id"] for s in domain.suggestions_shown(items, "adopted", keep="old")] == ["new", "old"], \
        "a refused follow-up's suggestion stays on the page"
    assert domain.state_counts(items) == {"": 3, "open": 2, "received": 1, "under_consideration": 1, "adopted": 1, "declined": 0}


def test_praise_is_grouped_by_department_the_most_praised_first_by_the_plazas_month():
    items = [{"request_id": "p1", "department": "security", "unit": "A-101", "text": "感谢保安小王帮我搬货",
              "received_at": "2026-11-30T17:00:00Z"},  # 1 December in Shanghai
             {"request_id": "p2", "department": "cleaning", "unit": "A-203", "text": "保洁很干净",
              "received_at": "2026-11-10T02:00:00Z"},
             {"request_id": "p3", "department": "security", "unit": "C-0802", "text": "保安很负责",
              "received_at": "2026-11-12T02:00:00Z"}]
    groups = domain.praise_groups(items)
    assert [(g["department"], g["count"]) for g in groups] == [("security", 2), ("cleaning", 1)]
    assert [p["request_id"] for p in groups[0]["items"]] == ["p1", "p3"]
    assert domain.months_of(items) == ["2026-12", "2026-11"]
    assert [g["department"] for g in domain.praise_groups(items, month="2026-12")] == ["security"]
    assert [(g["department"], g["count"]) for g in domain.praise_groups(items, department="security", month="2026-11")] == [("security", 1)]
