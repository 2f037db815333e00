"""Training (培训) rules: a session of a course, who attended and their score; a person
passes when they attended and scored at least the session's pass mark. Pure, no I/O."""

from __future__ import annotations

from services.staff.posts.domain import Refused


def passed(attended: bool, score: int | None, pass_mark: int) -> bool:
    return attended and score is not None and score >= pass_mark


def check_score(attended: bool, score: int | None, field: str) -> int | None:
    if score is not None and not 0 <= score <= 100:
        raise Refused("a score is between 0 and 100", field=field)
    if not attended and score is not None:
        raise Refused("someone who did not attend has no score", field=field)
    return score


def unqualified_detail(username: str, post: str, missing: list[str]) -> str:
    return (f"{username!r} has not passed the training for post {post!r}: "
            f"{', '.join(missing)} (上岗前须培训合格)")
