"""Use cases of training: schedule a session of a course, record who attended and their
scores, read a person's qualifications; and the rule every assignment asks: has this
person passed what the post needs (上岗前须培训合格)?"""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import DomainError, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff.posts import domain as posts_domain
from services.staff.posts import services as posts
from services.staff.training import domain, store


class Unqualified(DomainError):
    """An assignment to a post (or a shift on it) before its training was passed."""

    status = 422
    title = "Training not passed"

    def __init__(self, detail: str, *, field: str, post: str, missing: list[str]) -> None:
        super().__init__(detail, field=field)
        self.members = {"post": post, "missing_training": missing}


class SessionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    course: limits.Code
    starts_at: dt.datetime
    trainer: limits.Name | None = None
    pass_mark: int | None = None  # the course's when omitted
    invited: limits.items(limits.Code, 200) = []


class ResultIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: limits.Code
    attended: bool
    score: int | None = None


class ResultsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    results: limits.items(ResultIn, 200)


class ResultView(msgspec.Struct, kw_only=True):
    username: str
    attended: bool
    score: int | None
    passed: bool


class SessionView(msgspec.Struct, kw_only=True):
    id: str
    course: str
    title: str
    starts_at: str
    trainer: str | None
    pass_mark: int
    invited: list[str]
    results: list[ResultView]


class Qualification(msgspec.Struct, kw_only=True):
    post: str
    qualified: bool
    missing_training: list[str]


class QualificationsView(msgspec.Struct, kw_only=True):
    username: str
    passed: list[str]
    posts: list[Qualification]


async def schedule_session(tx: Tx, plaza_id: str, body: SessionCreate, *, actor: str) -> SessionView:
    catalogue = await posts.catalogue(tx.conn, plaza_id)
    titles = posts_domain.course_titles(catalogue)
    if body.course not in titles:
        raise InvalidInput(f"no course {body.course!r} at this plaza: {', '.join(titles)}", field="course")
    if body.starts_at.tzinfo is None:
        raise InvalidInput("starts_at needs a time zone", field="starts_at")
    mark = body.pass_mark if body.pass_mark is not None else posts_domain.pass_mark(catalogue, body.course)
    try:
        posts_domain.check_pass_mark(mark)
    except posts_domain.Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc
    session_id = new_event_id()
    await store.add_session(tx.conn, {
        "session_id": session_id, "plaza_id": plaza_id, "course": body.course, "starts_at": body.starts_at,
        "trainer": body.trainer, "pass_mark": mark, "invited": msgspec.json.encode(sorted(set(body.invited))).decode(),
        "scheduled_by": actor, "scheduled_at": utcnow(),
    })
    return await show_session(tx.conn, plaza_id, session_id)


async def record_results(tx: Tx, plaza_id: str, session_id: str, body: ResultsIn, *, actor: str) -> SessionView:
    found = await store.session(tx.conn, plaza_id, session_id)
    if found is None:
        raise NotFound(f"no training session {session_id!r}", field="session_id")
    now = utcnow()
    for i, r in enumerate(body.results):
        try:
            domain.check_score(r.attended, r.score, f"results[{i}].score")
        except posts_domain.Refused as exc:
            raise InvalidInput(exc.detail, field=exc.field) from exc
        await store.put_result(tx.conn, {
            "session_id": session_id, "username": r.username, "plaza_id": plaza_id, "course": found["course"],
            "attended": r.attended, "score": r.score, "passed": domain.passed(r.attended, r.score, found["pass_mark"]),
            "recorded_by": actor, "recorded_at": now,
        })
    return await show_session(tx.conn, plaza_id, session_id)


async def show_session(conn, plaza_id: str, session_id: str) -> SessionView:
    found = await store.session(conn, plaza_id, session_id)
    if found is None:
        raise NotFound(f"no training session {session_id!r}", field="session_id")
    return _session_view(found, posts_domain.course_titles(await posts.catalogue(conn, plaza_id)),
                         await store.results(conn, plaza_id, session_id=session_id))


async def list_sessions(conn, plaza_id: str, course: str | None) -> list[SessionView]:
    titles = posts_domain.course_titles(await posts.catalogue(conn, plaza_id))
    rows = await store.results(conn, plaza_id)
    by_session: dict[str, list] = {}
    for r in rows:
        by_session.setdefault(r["session_id"], []).append(r)
    return [_session_view(s, titles, by_session.get(s["session_id"], [])) for s in await store.sessions(conn, plaza_id, course)]


async def passed_courses(conn, plaza_id: str, usernames: list[str] | None = None) -> dict[str, set[str]]:
    return await store.passed_courses(conn, plaza_id, usernames)


async def qualifications(conn, plaza_id: str, username: str) -> QualificationsView:
    passed = (await store.passed_courses(conn, plaza_id, [username])).get(username, set())
    items = []
    for post in (await posts.catalogue(conn, plaza_id)).values():
        missing = posts_domain.missing(post, passed)
        items.append(Qualification(post=post.post, qualified=not missing, missing_training=missing))
    return QualificationsView(username=username, passed=sorted(passed), posts=items)


async def require_qualified(conn, plaza_id: str, username: str, post: str, *, field: str = "post",
                            unknown_ok: bool = False) -> posts_domain.Post | None:
    """The post, if the person passed every course it needs; else Unqualified (422) naming
    the missing training. A post outside the plaza's catalogue: None when ``unknown_ok``
    (a department's free-text post, which needs no desk training), else 422."""
    catalogue = await posts.catalogue(conn, plaza_id)
    found = catalogue.get(post)
    if found is None:
        if unknown_ok:
            return None
        raise InvalidInput(f"no post {post!r} at this plaza: {', '.join(catalogue)}", field=field)
    passed = (await store.passed_courses(conn, plaza_id, [username])).get(username, set())
    missing = posts_domain.missing(found, passed)
    if missing:
        raise Unqualified(domain.unqualified_detail(username, post, missing), field=field, post=post, missing=missing)
    return found


def _session_view(row, titles: dict[str, str], results: list) -> SessionView:
    return SessionView(
        id=row["session_id"], course=row["course"], title=titles.get(row["course"], row["course"]),
        starts_at=iso(row["starts_at"]), trainer=row["trainer"], pass_mark=row["pass_mark"],
        invited=msgspec.json.decode(row["invited"]),
        results=[ResultView(username=r["username"], attended=r["attended"], score=r["score"], passed=r["passed"])
                 for r in results],
    )
