"""A phone request's call record (接听商户电话: within three rings, greeting, read back):
accepted only for channel phone and a sane pair of times, stored, shown and published."""

from __future__ import annotations

import datetime as dt

import pytest

from intake_fixtures import intake, wait_for_events  # noqa: F401  (intake: the fixture)
from tests.support.harness import as_actor

URL = "/v1/plazas/p1/requests"


def _call(rang_ago_s: float, answered_ago_s: float, **extra) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    return {"rang_at": (now - dt.timedelta(seconds=rang_ago_s)).isoformat(),
            "answered_at": (now - dt.timedelta(seconds=answered_ago_s)).isoformat(), **extra}


async def test_a_phone_call_is_kept_shown_and_announced_with_the_clerk(intake, bus):
    body = {"channel": "phone", "unit": "A-203", "text": "A-203 下水道堵了",
            "call": _call(9, 1, greeting=True, read_back=True)}
    r = await intake.post(URL, headers=as_actor("clerk.li"), json=body)
    assert r.status_code == 202, r.text
    shown = (await intake.get(f"{URL}/{r.json()['id']}")).json()
    call = shown["call"]
    seconds = (dt.datetime.fromisoformat(call["answered_at"]) - dt.datetime.fromisoformat(call["rang_at"])).total_seconds()
    assert round(seconds) == 8 and call["greeting"] is True and call["read_back"] is True
    [event] = await wait_for_events(bus, "RequestReceived", 1)
    assert event.received_by == "clerk.li" and event.call is not None and event.call.greeting is True
    assert round((event.call.answered_at - event.call.rang_at).total_seconds()) == 8

    plain = await intake.post(URL, headers=as_actor("clerk.li"), json={"channel": "phone", "unit": "A-203", "text": "漏水"})
    assert (await intake.get(f"{URL}/{plain.json()['id']}")).json()["call"] is None


@pytest.mark.parametrize(("channel", "call", "field"), [
    ("visit", _call(9, 1), "call"),
    ("phone", _call(1, 9), "call.answered_at"),
    ("phone", _call(10, -3600), "call.answered_at"),
    ("phone", {"rang_at": "2026-01-01T08:00:00", "answered_at": "2026-01-01T08:00:05"}, "call.rang_at"),
])
async def test_a_call_record_that_cannot_be_is_refused_naming_the_field(intake, channel, call, field):
    r = await intake.post(URL, headers=as_actor("clerk.li"),
                          json={"channel": channel, "unit": "A-203", "text": "漏水", "call": call})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json") and r.json()["field"] == field
