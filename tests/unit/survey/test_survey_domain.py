"""Return-visit rules: due dates, the status a clerk sees, what an answer must be."""

from __future__ import annotations

import datetime as dt

import pytest

from services.survey.visits import domain

CLOSED = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc)


def test_visit_falls_due_72_hours_after_the_close_by_default():
    assert domain.due_at(CLOSED) == dt.datetime(2024, 5, 4, 9, 30, tzinfo=dt.timezone.utc)


def test_visit_window_is_configurable():
    assert domain.due_at(CLOSED, dt.timedelta(hours=24)) == CLOSED + dt.timedelta(days=1)


@pytest.mark.parametrize("window", [dt.timedelta(0), dt.timedelta(hours=-1)])
def test_window_must_be_positive(window):
    with pytest.raises(ValueError):
        domain.due_at(CLOSED, window)


def test_naive_close_time_is_refused():
    with pytest.raises(ValueError):
        domain.due_at(CLOSED.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("done", "now", "status"),
    [
        (False, CLOSED, "pending"),
        (False, CLOSED + dt.timedelta(hours=72), "pending"),  # due this very moment: not late yet
        (False, CLOSED + dt.timedelta(hours=72, seconds=1), "overdue"),
        (True, CLOSED + dt.timedelta(days=30), "done"),  # answered late is still answered
        (True, CLOSED, "done"),
    ],
)
def test_status_is_read_against_the_clock(done, now, status):
    assert domain.visit_status(done, domain.due_at(CLOSED), now) == status


def test_answer_defaults_to_a_phone_call_and_trims_the_comment():
    answer = domain.accept_answer(done=False, rating="unsatisfied", comment="  still leaking  ")
    assert answer == domain.Answer(rating="unsatisfied", comment="still leaking", channel="phone")


def test_blank_comment_is_no_comment():
    assert domain.accept_answer(done=False, rating="satisfied", comment="   ").comment is None


def test_answering_a_done_visit_is_refused_as_already_answered():
    with pytest.raises(domain.AlreadyAnswered):
        domain.accept_answer(done=True, rating="satisfied")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rating": "happy"}, "rating"),
        ({"rating": "satisfied", "channel": "letter"}, "channel"),
        ({"rating": "satisfied", "comment": "x" * (domain.MAX_COMMENT + 1)}, "comment"),
    ],
)
def test_bad_answer_names_the_field(kwargs, field):
    with pytest.raises(domain.ResponseRefused) as refused:
        domain.accept_answer(done=False, **kwargs)
    assert refused.value.field == field
    assert not isinstance(refused.value, domain.AlreadyAnswered)


def test_coverage_is_done_over_scheduled_and_undefined_when_nothing_scheduled():
    assert domain.coverage(3, 4) == 0.75
    assert domain.coverage(0, 0) is None


def test_satisfaction_rate_counts_basically_satisfied_as_pleased():
    assert domain.satisfaction_rate({"satisfied": 1, "basically_satisfied": 2, "unsatisfied": 1}) == 0.75
    assert domain.satisfaction_rate({}) is None


# --- fatigue window and reasons -------------------------------------------------------------

def test_a_unit_called_within_the_window_gets_a_survey_link_unless_complaint_reopening_or_no_unit():
    last = CLOSED - dt.timedelta(days=3)
    assert domain.fatigue_applies(kind="service", reopen_count=0, last_called_at=last, unit="A-1")
    assert domain.fatigue_applies(kind=None, reopen_count=0, last_called_at=last, unit="A-1")  # an older producer: an ordinary job
    assert not domain.fatigue_applies(kind="complaint", reopen_count=0, last_called_at=last, unit="A-1")
    assert not domain.fatigue_applies(kind="service", reopen_count=1, last_called_at=last, unit="A-1")
    assert not domain.fatigue_applies(kind="service", reopen_count=0, last_called_at=None, unit="A-1")
    # A public area's jobs come from different callers: none spares another a call.
    assert not domain.fatigue_applies(kind="service", reopen_count=0, last_called_at=last, unit="")


def test_the_fatigue_window_changes_how_the_visit_is_made_never_whether():
    assert domain.method_for(True) == ("online", "fatigue")
    assert domain.method_for(False) == ("phone", None)


def test_an_answer_is_taken_by_phone_at_the_door_or_online():
    for channel in ("phone", "visit", "online"):
        assert domain.accept_answer(done=False, rating="satisfied", channel=channel).channel == channel
    assert domain.accept_answer(done=False, rating="satisfied").channel == "phone"


def test_fatigue_span_reaches_n_days_either_side_and_zero_days_is_off():
    lo, hi = domain.fatigue_span(CLOSED, 30)
    assert (lo, hi) == (CLOSED - dt.timedelta(days=30), CLOSED + dt.timedelta(days=30))
    lo, hi = domain.fatigue_span(CLOSED, 0)
    assert lo == hi  # the open interval (lo, hi) is empty: no close is ever within it


def test_a_visit_an_earlier_release_skipped_shows_as_skipped_and_takes_no_answer():
    assert domain.visit_status(False, CLOSED, CLOSED + dt.timedelta(days=9), skipped=True) == "skipped"
    with pytest.raises(domain.AlreadyAnswered):
        domain.accept_answer(done=False, rating="satisfied", skipped=True)


def test_reasons_are_known_codes_kept_once_in_order():
    answer = domain.accept_answer(done=False, rating="unsatisfied", reasons=["slow_response", "not_fixed", "slow_response"])
    assert answer.reasons == ("slow_response", "not_fixed")
    with pytest.raises(domain.ResponseRefused) as refused:
        domain.accept_answer(done=False, rating="unsatisfied", reasons=["too_loud"])
    assert refused.value.field == "reasons"


def test_last_called_near_is_the_latest_other_close_strictly_within_the_span_either_side():
    day = dt.timedelta(days=1)
    called = [("wo-old", CLOSED - 30 * day), ("wo-a", CLOSED - 3 * day), ("wo-b", CLOSED + 2 * day),
                ("wo-far", CLOSED + 30 * day), ("wo-self", CLOSED + 5 * day)]
    near = domain.last_called_near(called, closed_at=CLOSED, days=30, work_order_id="wo-self")
    assert near == CLOSED + 2 * day  # after this close counts too; exactly 30 days away does not
    assert domain.last_called_near(called, closed_at=CLOSED, days=1, work_order_id="wo-self") is None
    assert domain.last_called_near(called, closed_at=CLOSED, days=0, work_order_id="x") is None  # off
    assert domain.last_called_near([], closed_at=CLOSED, days=30, work_order_id="x") is None
