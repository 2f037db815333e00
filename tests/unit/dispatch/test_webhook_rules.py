"""The webhook rules: the signature a receiver checks, the back-off and the day's limit, what
an endpoint may be and what it gets."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.department.webhook_verify import verify
from libs.runtime.errors import InvalidInput
from services.dispatch.webhooks import domain

T0 = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.timezone.utc)


def test_the_signature_is_the_one_the_receiver_recomputes():
    header = domain.sign("whsec_s3cret", b'{"type":"WorkOrderCreated"}', 1_790_000_000)
    assert header.startswith("t=1790000000,v1=")
    assert verify("whsec_s3cret", header, b'{"type":"WorkOrderCreated"}', now=1_790_000_010)
    assert not verify("whsec_s3cret", header, b'{"type":"WorkOrderClosed"}', now=1_790_000_010)
    assert not verify("whsec_other", header, b'{"type":"WorkOrderCreated"}', now=1_790_000_010)
    assert not verify("whsec_s3cret", header, b'{"type":"WorkOrderCreated"}', now=1_790_000_000 + 301)  # a replay
    assert not verify("whsec_s3cret", "v1=abc", b"{}")


def test_back_off_grows_then_stops_a_day_after_the_series_began():
    assert domain.next_attempt(T0, 1, T0) == T0 + dt.timedelta(seconds=10)
    assert domain.next_attempt(T0, 2, T0) == T0 + dt.timedelta(seconds=30)
    assert domain.next_attempt(T0, 40, T0) == T0 + dt.timedelta(hours=1)  # hourly after the schedule
    late = T0 + dt.timedelta(hours=23, minutes=30)
    assert domain.next_attempt(T0, 30, late) is None  # would be past the day: failed


@pytest.mark.parametrize("url,allow_http,ok", [
    ("https://eng.example.com/hooks", False, True),
    ("http://10.0.0.5/hooks", False, False),
    ("http://10.0.0.5/hooks", True, True),
    ("ftp://eng.example.com/x", True, False),
    ("https://user:pw@eng.example.com/x", False, False),
    ("https:///nohost", False, False),
])
def test_an_endpoint_is_an_https_address(url, allow_http, ok):
    if ok:
        assert domain.check_url(url, allow_http=allow_http) == url
    else:
        with pytest.raises(InvalidInput) as refused:
            domain.check_url(url, allow_http=allow_http)
        assert refused.value.field == "url"


def test_an_endpoint_gets_its_departments_events_of_the_types_it_asked_for():
    ep = {"active": True, "department": "engineering", "events": ["WorkOrderClosed"]}
    assert domain.wants(ep, "WorkOrderClosed", "engineering")
    assert not domain.wants(ep, "WorkOrderCreated", "engineering")
    assert not domain.wants(ep, "WorkOrderClosed", "cleaning")
    assert domain.wants({**ep, "events": []}, "WorkOrderCreated", "engineering")
    assert not domain.wants({**ep, "active": False}, "WorkOrderClosed", "engineering")
    with pytest.raises(InvalidInput):
        domain.check_events(["WorkOrderExploded"])


def test_an_endpoint_gets_its_plazas_notices_only_when_it_names_them():
    ep = {"active": True, "department": "security", "events": ["NoticePublished"]}
    assert domain.wants(ep, "NoticePublished", None)  # the plaza's, whichever department asked
    assert not domain.wants(ep, "WorkOrderCreated", "security")  # it named only notices
    assert not domain.wants({**ep, "events": []}, "NoticePublished", None)  # "every work-order event"
    assert not domain.wants({**ep, "events": ["NoticeRead"]}, "NoticeRead", None)
    both = {**ep, "events": ["NoticePublished", "WorkOrderClosed"]}
    assert domain.wants(both, "WorkOrderClosed", "security") and domain.wants(both, "NoticePublished", None)
    assert not domain.wants({**ep, "active": False}, "NoticePublished", None)
    assert domain.check_events(["NoticePublished", "WorkOrderClosed"]) == ["NoticePublished", "WorkOrderClosed"]
    for unknown in (["NoticeRead"], ["NoticeDelivered"], ["NoticePublished", "NoticeExploded"]):
        with pytest.raises(InvalidInput) as refused:
            domain.check_events(unknown)
        assert refused.value.field == "events"
