"""The occupant's pages: what a survey answer holds, what a refused link says, and the
payment form's key reaching billing (a retry while the first is committing gets it)."""

from __future__ import annotations

import asyncio

import pytest

from services.console.billing import services as billing
from services.console.gateway.domain import UpstreamError
from services.console.occupant import domain



def test_a_satisfied_answer_carries_no_reasons_and_an_unknown_reason_is_dropped():
    ratings, codes = ["satisfied", "basically_satisfied", "unsatisfied"], ["not_fixed", "slow_response"]
    body, problem = domain.answer_body({"rating": "satisfied", "reasons": ["not_fixed"]}, ratings, codes)
    assert problem is None and body == {"rating": "satisfied", "reasons": []}
    body, _ = domain.answer_body({"rating": "unsatisfied", "reasons": ["not_fixed", "bogus"], "comment": " 还在漏 "},
                                 ratings, codes)
    assert body == {"rating": "unsatisfied", "reasons": ["not_fixed"], "comment": "还在漏"}
    assert domain.answer_body({"rating": "great"}, ratings, codes)[1] == "Choose how satisfied you are"


def test_a_refused_link_says_why_in_the_occupants_words():
    assert "expired" in domain.link_refusal(410)
    assert "already been answered" in domain.link_refusal(409)
    assert "not valid" in domain.link_refusal(403)
    assert "not available" in domain.link_refusal(502)


def test_an_empty_report_is_refused_before_it_is_sent():
    assert domain.issue_text("   ")[1] == "Describe the problem"
    assert domain.issue_text(" 漏水 ") == ("漏水", None)
    assert domain.issue_text("x" * 2001)[1] == "At most 2000 characters"


def test_visits_waiting_for_an_answer_can_be_answered_and_others_not():
    rows = domain.visit_rows([{"id": "v1", "status": "done", "rating": "satisfied", "scheduled_at": "1"},
                              {"id": "v2", "status": "overdue", "scheduled_at": "2"}])
    assert [(r["id"], r["answerable"]) for r in rows] == [("v2", True), ("v1", False)]
    assert rows[1]["rating_label"] == "Satisfied"


class Calls:
    """Billing as seen by the console: the first send is still committing (409 naming the
    key), the next answers the payment it took."""

    def __init__(self, answers):
        self.answers, self.sent = list(answers), []

    async def post(self, service, path, body=None, *, headers=None):
        self.sent.append((service, path, body, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_forms_key_goes_to_billing_and_a_send_behind_another_gets_its_payment():
    in_flight = UpstreamError("billing", 409, {"detail": "in progress", "field": "Idempotency-Key"})
    calls = Calls([in_flight, {"id": "p1", "amount_fen": 30000}])
    paid = asyncio.run(billing.take_payment(calls, "demo", "A-203", amount_fen=30000, method="cash",
                                            reference=None, key="k1"))
    assert paid["id"] == "p1"
    assert [s[3] for s in calls.sent] == [{"Idempotency-Key": "k1"}] * 2
    assert calls.sent[0][1] == "/v1/plazas/demo/accounts/A-203/payments"
    assert calls.sent[0][2] == {"amount_fen": 30000, "method": "cash"}


def test_another_refusal_is_not_retried():
    refused = UpstreamError("billing", 422, {"detail": "amount_fen must be positive", "field": "amount_fen"})
    calls = Calls([refused])
    with pytest.raises(UpstreamError):
        asyncio.run(billing.take_payment(calls, "demo", "A-203", amount_fen=1, method="cash", reference="r", key="k"))
    assert len(calls.sent) == 1
