"""Return-visit rules: when a visit falls due, what state it is in, what an answer must be,
and how the visit is made (the fatigue window makes it a survey link instead of a call).

Every closed work order gets its visit: the procedure asks for one after every job. The
fatigue window changes how, never whether. Pure functions over values; no I/O. "Overdue"
is never stored: it is a pending visit read after its due time, so it changes with the
clock and not with a write. "Skipped" is only read: an older release stored it for
visits the fatigue window spared, and those stay as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal, get_args

import msgspec

Status = Literal["pending", "done", "overdue", "skipped"]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
# How the occupant answered: by phone, at a door-to-door visit (上门回访), or online.
AnswerChannel = Literal["phone", "visit", "online"]
# How the visit is to be made: a call, or a survey link (the lighter touch).
Method = Literal["phone", "online"]

STATUSES: tuple[str, ...] = get_args(Status)
RATINGS: tuple[str, ...] = get_args(Rating)
ANSWER_CHANNELS: tuple[str, ...] = get_args(AnswerChannel)
METHODS: tuple[str, ...] = get_args(Method)
DEFAULT_WINDOW = dt.timedelta(hours=72)
MAX_COMMENT = 2000
MAX_REASONS = 10
# Why an occupant is not satisfied (or only basically): codes a report can count.
REASON_CODES: tuple[str, ...] = (
    "not_fixed", "repeat_problem", "slow_response", "late_arrival", "staff_attitude",
    "workmanship", "cleanliness", "price", "communication", "other",
)


class ResponseRefused(Exception):
    """An answer the visit cannot take; ``field`` names what is wrong."""

    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class AlreadyAnswered(ResponseRefused):
    pass


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    rating: Rating
    comment: str | None
    channel: AnswerChannel
    reasons: tuple[str, ...] = ()


def due_at(closed_at: dt.datetime, window: dt.timedelta = DEFAULT_WINDOW) -> dt.datetime:
    if closed_at.tzinfo is None:
        raise ValueError("closed_at must be timezone-aware")
    if window <= dt.timedelta(0):
        raise ValueError("the visit window must be positive")
    return closed_at + window


def visit_status(done: bool, due: dt.datetime, now: dt.datetime, skipped: bool = False) -> Status:
    if skipped:
        return "skipped"
    if done:
        return "done"
    return "overdue" if now > due else "pending"


def accept_answer(
    *,
    done: bool,
    rating: str,
    comment: str | None = None,
    channel: str | None = None,
    reasons: list[str] | tuple[str, ...] = (),
    skipped: bool = False,
) -> Answer:
    if done:
        raise AlreadyAnswered("this return visit has already been answered", field="id")
    if skipped:
        raise AlreadyAnswered("this return visit was skipped (an earlier fatigue-window rule): it takes no answer",
                              field="id")
    if rating not in RATINGS:
        raise ResponseRefused(f"rating must be one of {', '.join(RATINGS)}", field="rating")
    channel = channel or "phone"
    if channel not in ANSWER_CHANNELS:
        raise ResponseRefused(f"channel must be one of {', '.join(ANSWER_CHANNELS)}", field="channel")
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise ResponseRefused(f"comment must be at most {MAX_COMMENT} characters", field="comment")
    return Answer(rating=rating, comment=comment, channel=channel, reasons=accept_reasons(reasons))  # type: ignore[arg-type]


def accept_reasons(reasons) -> tuple[str, ...]:
    """Known codes only, each once, in the order given."""
    unknown = [r for r in reasons if r not in REASON_CODES]
    if unknown:
        raise ResponseRefused(
            f"unknown reason code(s) {', '.join(map(repr, unknown))}; known: {', '.join(REASON_CODES)}",
            field="reasons",
        )
    unique = tuple(dict.fromkeys(reasons))
    if len(unique) > MAX_REASONS:
        raise ResponseRefused(f"at most {MAX_REASONS} reasons", field="reasons")
    return unique


def fatigue_applies(
    *, kind: str | None, reopen_count: int, last_called_at: dt.datetime | None, unit: str
) -> bool:
    """The unit was called within the window (``last_called_at`` is the nearest other close
    followed up by a call within N days, either side, so closes arriving out of order still
    leave one of them called). A complaint, and a close after a reopening (second dispatch),
    are always called. A job naming no unit (a public area, a caller who is no occupant) has
    nobody's fatigue to spare: each such caller is someone else. ``kind`` is the one the
    close carries; None (a close from a producer older than the field) is an ordinary job."""
    if kind == "complaint" or reopen_count > 0 or not unit:
        return False
    return last_called_at is not None


def method_for(fatigued: bool) -> tuple[Method, str | None]:
    """How the visit is made, and why when not by the usual call: within the fatigue window
    the occupant gets a survey link rather than another call. The visit is owed either way."""
    return ("online", "fatigue") if fatigued else ("phone", None)


def fatigue_span(closed_at: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The closes that make this one fatigued: strictly less than ``days`` away."""
    if days < 0:
        raise ValueError("fatigue days must not be negative")
    span = dt.timedelta(days=days)
    return closed_at - span, closed_at + span


def last_called_near(
    called: Iterable[tuple[str, dt.datetime]], *, closed_at: dt.datetime, days: int, work_order_id: str
) -> dt.datetime | None:
    """The latest of the unit's closes followed up by a call, given as (work order, closed
    at), within the fatigue span of this close; the work order's own closes (a re-send, a
    reopening) do not count."""
    lo, hi = fatigue_span(closed_at, days)
    return max((at for wo, at in called if lo < at < hi and wo != work_order_id), default=None)


def coverage(done: int, scheduled: int) -> float | None:
    """Share of scheduled visits answered (回访率); None while nothing is scheduled.
    Lighter-touch (online) visits are scheduled like any; visits an older release skipped
    are not: they count in neither figure."""
    return round(done / scheduled, 4) if scheduled else None


def satisfaction_rate(counts: dict[str, int]) -> float | None:
    """Satisfied plus basically satisfied over all answers (满意率)."""
    answered = sum(counts.get(r, 0) for r in RATINGS)
    if not answered:
        return None
    pleased = counts.get("satisfied", 0) + counts.get("basically_satisfied", 0)
    return round(pleased / answered, 4)
