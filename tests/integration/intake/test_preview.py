"""The preview the desk console asks for while the clerk types: what logging the text would
decide, with the reasons, and nothing logged."""

from __future__ import annotations

from intake_fixtures import intake, intake_events, wait_for_events  # noqa: F401  (intake: the fixture)
from tests.support.harness import bearer

URL = "/v1/plazas/p1/requests"
PREVIEW = f"{URL}/preview"


async def test_the_preview_says_what_logging_the_text_would_decide_and_logs_nothing(intake, bus):
    text = "保安态度很差，还推了我，我已经受伤了，要找媒体曝光"
    r = await intake.post(PREVIEW, json={"text": text, "unit": "A-203"})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert (preview["kind"], preview["severity"], preview["major"], preview["priority"]) == ("complaint", "major", True, "emergency")
    assert preview["severity_reason"] == "rule: injury 受伤" and preview["department"] == "security"
    assert preview["serviceable"] is True and preview["referral"] is None and preview["also"] == []
    assert (await intake.get(URL)).json()["items"] == [] and await intake_events(bus, "RequestReceived") == []

    logged = (await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": text})).json()
    [event] = await wait_for_events(bus, "RequestReceived", 1)
    assert (logged["kind"], logged["severity"], logged["major"], logged["department"]) == ("complaint", "major", True, "security")
    assert (event.kind, event.major, event.department, event.kind_reason) == ("complaint", True, "security", preview["kind_reason"])


async def test_a_mixed_message_a_referral_and_the_clerks_kind(intake):
    async def preview(**body):
        r = await intake.post(PREVIEW, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    mixed = await preview(text="门口的灯坏了，麻烦派人修一下。另外谢谢上次的维修师傅")
    assert (mixed["kind"], mixed["also"], mixed["department"], mixed["severity"]) == ("service", ["praise"], "engineering", None)
    gas = await preview(text="厨房燃气灶打不着火，是不是停气了")
    assert gas["serviceable"] is False and gas["referral"].endswith(": 96777")
    chosen = await preview(text="停车费太贵了，一点都不合理", kind="suggestion")
    assert (chosen["kind"], chosen["kind_reason"], chosen["priority"]) == ("suggestion", "set by the clerk", "low")


async def test_the_plazas_own_rules_win_in_the_preview_too(intake):
    rules = {"kinds": [{"kind": "praise", "keywords": ["好评"]}], "major_keywords": []}
    assert (await intake.put("/v1/plazas/p1/classification-rules", json=rules)).status_code == 200
    r = (await intake.post(PREVIEW, json={"text": "好评！停车场管理员很热情"})).json()
    assert (r["kind"], r["kind_reason"]) == ("praise", "plaza rule: keyword '好评'")


async def test_bad_input_names_the_field(intake):
    for body, status, field in [
        ({"text": "   "}, 422, "text"),
        ({"text": "漏水", "unit": "Z-999"}, 422, "unit"),
        ({"text": "漏水", "kind": "gossip"}, 400, "kind"),
        ({}, 400, "text"),
    ]:
        r = await intake.post(PREVIEW, json=body)
        assert (r.status_code, r.json().get("field")) == (status, field), (body, r.text)
    nowhere = await intake.post("/v1/plazas/nowhere/requests/preview", json={"text": "漏水"})
    assert nowhere.status_code == 404


async def test_an_occupant_previews_for_their_own_unit_only(intake):
    occupant = bearer("occupant:p1:A-203:abc", plazas={"p1": ["occupant"]}, unit="A-203", name="A-203 住户/occupant")
    mine = await intake.post(PREVIEW, json={"text": "卫生间漏水", "unit": "A-203"}, headers=occupant)
    assert mine.status_code == 200 and mine.json()["kind"] == "service"
    other = await intake.post(PREVIEW, json={"text": "卫生间漏水", "unit": "B-102"}, headers=occupant)
    assert other.status_code == 404 and other.json()["field"] == "unit"
