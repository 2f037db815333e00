"""Return-visit rules: when a visit falls due, what state it is in, what an answer must be.

Pure functions over values; no I/O. "Overdue" is never stored: it is a pending visit read
after its due time, so it changes with the clock and not with a write.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import msgspec

Status = Literal["pending", "done", "overdue"]
Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
AnswerChannel = Literal["phone", "online"]

STATUSES: tuple[str, ...] = get_args(Status)
RATINGS: tuple[str, ...] = get_args(Rating)
ANSWER_CHANNELS: tuple[str, ...] = get_args(AnswerChannel)
DEFAULT_WINDOW = dt.timedelta(hours=72)
MAX_COMMENT = 2000


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


def due_at(closed_at: dt.datetime, window: dt.timedelta = DEFAULT_WINDOW) -> dt.datetime:
    if closed_at.tzinfo is None:
        raise ValueError("closed_at must be timezone-aware")
    if window <= dt.timedelta(0):
        raise ValueError("the visit window must be positive")
    return closed_at + window


def visit_status(done: bool, due: dt.datetime, now: dt.datetime) -> Status:
    if done:
        return "done"
    return "overdue" if now > due else "pending"


def accept_answer(
    *, done: bool, rating: str, comment: str | None = None, channel: str | None = None
) -> Answer:
    if done:
        raise AlreadyAnswered("this return visit has already been answered", field="id")
    if rating not in RATINGS:
        raise ResponseRefused(f"rating must be one of {', '.join(RATINGS)}", field="rating")
    channel = channel or "phone"
    if channel not in ANSWER_CHANNELS:
        raise ResponseRefused(f"channel must be one of {', '.join(ANSWER_CHANNELS)}", field="channel")
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise ResponseRefused(f"comment must be at most {MAX_COMMENT} characters", field="comment")
    return Answer(rating=rating, comment=comment, channel=channel)  # type: ignore[arg-type]


def coverage(done: int, scheduled: int) -> float | None:
    """Share of scheduled visits answered (回访率); None while nothing is scheduled."""
    return round(done / scheduled, 4) if scheduled else None


def satisfaction_rate(counts: dict[str, int]) -> float | None:
    """Satisfied plus basically satisfied over all answers (满意率)."""
    answered = sum(counts.get(r, 0) for r in RATINGS)
    if not answered:
        return None
    pleased = counts.get("satisfied", 0) + counts.get("basically_satisfied", 0)
    return round(pleased / answered, 4)
