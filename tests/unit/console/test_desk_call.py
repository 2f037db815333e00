"""A phone call's answer at the desk: the form's Ringing / Answer times and etiquette
checklist become intake's ``call``, and an intake that does not take it yet still records
the request."""

from __future__ import annotations

from services.console.desk import domain
from services.console.desk import services as desk
from services.console.gateway.domain import UpstreamError
from tests.unit.console.test_desk_pages import render
from tests.unit.console.test_desk_services import FakeCalls

FORM = {"channel": "phone", "about": "unit", "unit": "A-203", "text": "下水道堵了",
        "call_rang_at": "2026-12-05T02:00:00.000Z", "call_answered_at": "2026-12-05T02:00:08.250Z"}


def test_a_phone_call_answered_at_the_desk_sends_its_times_and_checklist():
    body, refusals = domain.request_body({**FORM, "call_greeting": "1", "call_read_back": "1"})
    assert refusals == []
    assert body["call"] == {"rang_at": "2026-12-05T02:00:00.000Z", "answered_at": "2026-12-05T02:00:08.250Z",
                            "greeting": True, "read_back": True}
    assert domain.answer_seconds(body["call"]) == 8


def test_an_unticked_checklist_is_sent_as_not_done():
    body, _ = domain.request_body(FORM)
    assert (body["call"]["greeting"], body["call"]["read_back"]) == (False, False)


def test_a_ring_time_in_another_zone_is_sent_in_utc():
    body, _ = domain.request_body({**FORM, "call_rang_at": "2026-12-05T10:00:00+08:00"})
    assert body["call"]["rang_at"] == "2026-12-05T02:00:00.000Z"


def test_no_call_is_sent_for_another_channel_or_a_call_written_up_without_the_buttons():
    assert "call" not in domain.request_body({**FORM, "channel": "visit"})[0]
    body, refusals = domain.request_body({k: v for k, v in FORM.items() if not k.startswith("call_")})
    assert "call" not in body and refusals == []


def test_a_call_rung_but_not_answered_or_answered_before_it_rang_is_refused_on_the_call():
    _, refusals = domain.request_body({**FORM, "call_answered_at": ""})
    assert [(r.field, r.message) for r in refusals] == [("call", "Press Answer when you pick up the phone")]
    _, refusals = domain.request_body({**FORM, "call_rang_at": ""})
    assert [r.field for r in refusals] == ["call"]
    _, refusals = domain.request_body({**FORM, "call_rang_at": "2026-12-05T02:01:00Z"})
    assert [r.message for r in refusals] == ["The call was answered before it rang: press Ringing again"]


def test_the_phone_systems_ring_time_in_the_address_starts_the_clock():
    assert domain.rang_at_given("2026-12-05T10:00:00+08:00") == "2026-12-05T02:00:00.000Z"
    assert domain.rang_at_given("tomorrow") == "" and domain.rang_at_given("") == ""


UNKNOWN_CALL = UpstreamError("intake", 400, {
    "title": "Invalid request", "detail": "call: unknown field (the body takes channel, text, unit)", "field": "call",
    "errors": [{"field": "call", "message": "unknown field (the body takes channel, text, unit)"}]})


async def test_an_intake_that_does_not_take_the_call_yet_records_the_request_without_it():
    bodies = []

    def answer(body, headers):
        bodies.append((body, headers))
        if "call" in body:
            raise UNKNOWN_CALL
        return {"id": "r1", "kind": "service", "serviceable": True}

    calls = FakeCalls({("intake", "/v1/plazas/demo/requests"): answer})
    body, _ = domain.request_body(FORM)
    answer_ = await desk.log_request(calls, "demo", body, "k-1")
    assert answer_["id"] == "r1" and answer_["call_kept"] is False
    assert [("call" in b, h["Idempotency-Key"]) for b, h in bodies] == [(True, "k-1"), (False, "k-1-nocall")]


async def test_any_other_refusal_of_a_phone_request_is_the_clerks_to_see():
    refused = UpstreamError("intake", 422, {"detail": "unit 'Z-9' is not registered", "field": "unit"})
    calls = FakeCalls({("intake", "/v1/plazas/demo/requests"): refused})
    body, _ = domain.request_body(FORM)
    try:
        await desk.log_request(calls, "demo", body, "k-1")
    except UpstreamError as exc:
        assert exc.field == "unit"
    else:
        raise AssertionError("the refusal was swallowed")
    assert len(calls.asked) == 1


def test_the_desk_shows_the_call_buttons_and_after_answer_the_etiquette_checklist_in_chinese():
    ringing = render("desk/panel.html", answer=None, form={"channel": "phone", "about": "unit",
                                                            "call_rang_at": "2026-12-05T02:00:00.000Z"},
                     errors={}, idempotency_key="k", areas=[])
    assert "来电" in ringing and "接听" in ringing and "已问候：“您好，…物业部”" in ringing
    recorded = render("desk/panel.html", answer={"id": "r1", "kind": "service", "serviceable": True, "call_kept": False},
                      recorded={"unit": "A-203", "call": {"rang_at": FORM["call_rang_at"], "answered_at": FORM["call_answered_at"],
                                                          "greeting": True, "read_back": False}},
                      also=[], form={"channel": "phone", "about": "unit"}, errors={}, idempotency_key="k", areas=[])
    assert "接听用时 8 秒" in recorded and "问候 ✓" in recorded and "复述 ✗" in recorded
    assert "未保存接听情况" in recorded
