"""Every channel and every kind through intake's public API, seen on the INTAKE stream;
the request list; per-plaza classification rules and referral directory."""

from __future__ import annotations

import datetime as dt

from intake_fixtures import intake, wait_for_events  # noqa: F401  (intake: the fixture)
from tests.support.harness import as_actor, eventually

URL = "/v1/plazas/p1/requests"

# channel, text, extra body, expected: kind, severity, major, praised department, referral number
CASES = [
    ("phone", "A-203 下水道堵了 drain blocked", {}, ("service", None, False, None, None)),
    ("visit", "我要投诉保安态度差", {}, ("complaint", "normal", False, None, None)),
    ("letter", "投诉：地面湿滑导致顾客受伤，我们将找律师", {}, ("complaint", "major", True, None, None)),
    ("online", "Complaint: the music is slightly too loud", {}, ("complaint", "minor", False, None, None)),
    ("internal", "感谢保安小王帮忙搬货", {"source_department": "security"}, ("praise", None, False, "security", None)),
    ("online", "Thank you to the cleaning team!", {}, ("praise", None, False, "cleaning", None)),
    ("letter", "表扬工程部维修及时", {}, ("praise", None, False, "engineering", None)),
    ("visit", "thank you all", {}, ("praise", None, False, None, None)),
    ("internal", "建议增加停车位", {}, ("suggestion", None, False, None, None)),
    ("phone", "家里燃气没有了", {}, ("service", None, False, None, "96777")),
    ("online", "the street light outside is off (路灯)", {}, ("service", None, False, None, "12345")),
]


async def test_every_channel_and_kind_is_published_as_the_clerk_logged_it(intake, bus):
    ids = []
    for channel, text, extra, _ in CASES:
        r = await intake.post(
            URL, headers=as_actor(f"clerk-{channel}"),
            json={"channel": channel, "unit": "A-203", "text": text, "contact": {"name": "李明", "phone": "139"}, **extra},
        )
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])

    events = {e.request_id: e for e in await wait_for_events(bus, "RequestReceived", len(CASES))}
    for request_id, (channel, text, _, expected) in zip(ids, CASES):
        e = events[request_id]
        number = e.referral.rsplit(": ", 1)[1] if e.referral else None
        assert (e.kind, e.severity, e.major, e.praised_department, number) == expected, text
        assert (e.channel, e.text, e.received_by, e.contact.phone) == (channel, text, f"clerk-{channel}", "139")
        assert e.kind_reason and e.serviceable == (number is None)


async def test_the_request_shows_who_took_it_when_and_why_it_got_its_kind(intake):
    r = await intake.post(
        URL, headers=as_actor("front-desk"),
        json={"channel": "internal", "unit": "A-203", "text": "投诉：客人受伤", "received_by": "clerk-wang",
              "source_department": "security", "contact": {"name": "保安队长"}},
    )
    shown = (await intake.get(f"{URL}/{r.json()['id']}")).json()
    assert shown["received_by"] == "clerk-wang" and shown["source_department"] == "security"
    assert shown["channel"] == "internal" and shown["contact"] == {"name": "保安队长", "phone": None}
    assert shown["kind"] == "complaint" and shown["kind_reason"].startswith("model: complaint (")
    assert shown["severity"] == "major" and shown["severity_reason"] == "rule: injury 受伤" and shown["major"] is True
    assert dt.datetime.fromisoformat(shown["received_at"]) <= dt.datetime.now(dt.timezone.utc)


async def test_the_clerk_overrides_kind_and_severity_and_the_reason_says_so(intake, bus):
    r = await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": "the door is broken again", "kind": "complaint", "severity": "major"})
    body = r.json()
    assert (body["kind"], body["severity"], body["major"], body["kind_reason"]) == ("complaint", "major", True, "set by the clerk")
    [event] = await wait_for_events(bus, "RequestReceived", 1, request_id=body["id"])
    assert event.major and event.severity == "major" and event.kind_reason == "set by the clerk"

    refused = await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": "谢谢", "severity": "minor"})
    assert refused.status_code == 422 and refused.json()["field"] == "severity"


async def test_the_request_list_filters_and_pages(intake):
    before = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    for channel, unit, text in [
        ("phone", "B-101", "漏水"), ("phone", "B-101", "投诉噪音"), ("visit", "B-101", "灯坏了"),
        ("phone", "B-102", "门坏了"), ("online", "B-101", "燃气没有了"),
    ]:
        assert (await intake.post(URL, json={"channel": channel, "unit": unit, "text": text})).status_code == 202

    async def items(**params):
        return (await intake.get(URL, params=params)).json()["items"]

    async def all_listed():  # lists read intake's read model, fed from its stream
        return len(await items(since=before)) == 5

    await eventually(all_listed, what="the five requests on intake's read model")
    assert [i["text"] for i in await items(unit="B-101", channel="phone")] == ["漏水", "投诉噪音"]
    assert [i["text"] for i in await items(unit="B-101", kind="complaint")] == ["投诉噪音"]
    assert [i["text"] for i in await items(status="referred")] == ["燃气没有了"]
    assert len(await items(since=before)) == 5 and await items(until=before) == []

    first = (await intake.get(URL, params={"since": before, "limit": 3})).json()
    second = (await intake.get(URL, params={"since": before, "limit": 3, "cursor": first["next"]})).json()
    assert len(first["items"]) == 3 and first["next"] and second["next"] is None
    assert [i["text"] for i in first["items"] + second["items"]] == ["漏水", "投诉噪音", "灯坏了", "门坏了", "燃气没有了"]

    bad = await intake.get(URL, params={"channel": "fax"})
    assert bad.status_code == 400 and bad.json()["field"] == "channel"


async def test_a_plaza_sets_its_own_classification_rules(intake):
    rules_url = "/v1/plazas/p1/classification-rules"
    default = (await intake.get(rules_url)).json()
    assert default["source"] == "default" and default["kinds"] == []  # the model decides the kind

    mine = {
        "kinds": [{"kind": "complaint", "keywords": ["差评", "bad review"]}, {"kind": "praise", "keywords": ["好评"]}],
        "major_keywords": ["消防"],
        "praise_departments": [{"department": "parking", "keywords": ["停车"]}],
    }
    put = await intake.put(rules_url, json=mine, headers=as_actor("supervisor-zhao"))
    assert put.status_code == 200 and put.json()["source"] == "plaza" and put.json()["updated_by"] == "supervisor-zhao"

    complaint = (await intake.post(URL, json={"channel": "online", "unit": "A-203", "text": "差评！消防通道被堵"})).json()
    assert (complaint["kind"], complaint["severity"], complaint["kind_reason"]) == ("complaint", "major", "plaza rule: keyword '差评'")
    praise = (await intake.post(URL, json={"channel": "online", "unit": "A-203", "text": "好评，停车场管理员很好"})).json()
    assert praise["praised_department"] == "parking"
    # A text no rule of the plaza matches is read by the model, as before the plaza set any.
    no_rule = (await intake.post(URL, json={"channel": "online", "unit": "A-203", "text": "我要投诉"})).json()
    assert no_rule["kind"] == "complaint" and no_rule["kind_reason"].startswith("model: ")

    bad = await intake.put(rules_url, json={**mine, "kinds": [{"kind": "praise", "keywords": [""]}]})
    assert bad.status_code == 422 and bad.json()["field"] == "kinds[0].keywords"
    assert (await intake.get(rules_url)).json()["kinds"][0]["keywords"] == ["差评", "bad review"]


async def test_a_plaza_sets_its_own_referral_numbers(intake):
    url = "/v1/plazas/p1/referrals"
    default = (await intake.get(url)).json()
    assert default["source"] == "default"
    assert {"110", "12345", "96777"} <= {e["phone"] for e in default["entries"]}

    entries = [{"topic": "Huarun gas (华润燃气)", "phone": "95777", "keywords": ["燃气", "gas"]}]
    assert (await intake.put(url, json={"entries": entries})).status_code == 200

    r = (await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": "燃气表坏了"})).json()
    assert r["serviceable"] is False and r["referral"] == "Huarun gas (华润燃气): 95777" and r["status"] == "referred"
    assert (await intake.get(f"{URL}/{r['id']}")).json()["status"] == "referred"
    # the plaza's directory replaced the defaults: 110 is no longer in it
    assert (await intake.post(URL, json={"channel": "phone", "unit": "A-203", "text": "请报警"})).json()["serviceable"] is True
