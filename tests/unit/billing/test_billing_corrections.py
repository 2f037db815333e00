"""The desk's corrections of a request's kind, as dunning reads them: only a complaint made
or unmade matters, and the latest correction wins whatever order they arrive in."""

from __future__ import annotations

import datetime as dt
import random

from services.billing.dunning import domain

T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc)


def row(kind: str, previous_kind: str, minutes: int = 0, request_id: str = "rq-1"):
    return domain.correction_row(plaza_id="p1", request_id=request_id, unit="A-1", kind=kind,
                                 previous_kind=previous_kind, at=T0 + dt.timedelta(minutes=minutes))


def test_a_correction_into_a_complaint_holds_and_one_away_from_it_does_not():
    assert row("complaint", "service")["complaint"] is True
    assert row("praise", "complaint")["complaint"] is False
    assert row("complaint", "complaint")["complaint"] is True  # its severity or department corrected


def test_a_correction_between_two_other_kinds_says_nothing_about_dunning():
    assert row("praise", "service") is None
    assert domain.latest_corrections([row("praise", "service")]) == []


def test_the_latest_correction_wins_whatever_order_the_corrections_arrive_in():
    life = [row("complaint", "service", 0), row("service", "complaint", 5), row("complaint", "service", 9)]
    rng = random.Random(3)
    for _ in range(20):
        arrived = life + [row("complaint", "service", 0, request_id="rq-2")]
        rng.shuffle(arrived)
        latest = {r["request_id"]: r for r in domain.latest_corrections(arrived)}
        assert latest["rq-1"]["reclassified_at"] == T0 + dt.timedelta(minutes=9) and latest["rq-1"]["complaint"]
        assert latest["rq-2"]["complaint"]
