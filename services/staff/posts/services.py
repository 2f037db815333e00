"""Use cases on the plaza's posts: the catalogue (built-in and the plaza's own), a post
defined or changed, and who worked which post when (the history rotation spreads by)."""

from __future__ import annotations

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import InvalidInput
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff.posts import domain, store


class PostUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.line(limits.NAME_MAX, min_length=1)
    department: limits.Code = "customer_service"
    procedures: limits.items(limits.Note, 30) = []
    courses: limits.items(limits.Code, 10) = []
    pass_mark: int = domain.DEFAULT_PASS_MARK
    rotates: bool = True


class PostView(msgspec.Struct, kw_only=True):
    post: str
    name: str
    department: str
    procedures: list[str]
    courses: list[str]  # what a person must pass before working it
    pass_mark: int
    rotates: bool


class HistoryView(msgspec.Struct, kw_only=True):
    username: str
    post: str
    from_at: str
    to_at: str | None
    source: str


async def catalogue(conn, plaza_id: str) -> dict[str, domain.Post]:
    own = [domain.Post(post=r["post"], name=r["name"], department=r["department"],
                       procedures=msgspec.json.decode(r["procedures"]), courses=msgspec.json.decode(r["courses"]),
                       pass_mark=r["pass_mark"], rotates=r["rotates"]) for r in await store.own_posts(conn, plaza_id)]
    return domain.merged(own)


async def list_posts(conn, plaza_id: str) -> list[PostView]:
    return [view(p) for p in (await catalogue(conn, plaza_id)).values()]


async def put_post(tx: Tx, plaza_id: str, post: str, body: PostUpdate, *, actor: str) -> PostView:
    try:
        domain.check_code(post)
        domain.check_pass_mark(body.pass_mark)
        for course in body.courses:
            domain.check_code(course, "courses")
    except domain.Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc
    await store.put_post(tx.conn, {
        "plaza_id": plaza_id, "post": post, "name": body.name, "department": body.department,
        "procedures": msgspec.json.encode(body.procedures).decode(),
        "courses": msgspec.json.encode(body.courses).decode(), "pass_mark": body.pass_mark,
        "rotates": body.rotates, "updated_by": actor, "updated_at": utcnow(),
    })
    return view((await catalogue(tx.conn, plaza_id))[post])


async def record_post_change(conn, plaza_id: str, username: str, post: str | None, source: str, now) -> None:
    """The person's current post ends now; the new one (if any) starts now."""
    await store.close_history(conn, plaza_id, username, now)
    if post:
        await store.add_history(conn, {"id": new_event_id(), "plaza_id": plaza_id, "username": username,
                                       "post": post, "from_at": now, "to_at": None, "source": source})


async def worked_counts(conn, plaza_id: str) -> dict[tuple[str, str], int]:
    """How many times each person has worked each post."""
    counts: dict[tuple[str, str], int] = {}
    for r in await store.history(conn, plaza_id):
        counts[(r["username"], r["post"])] = counts.get((r["username"], r["post"]), 0) + 1
    return counts


async def history(conn, plaza_id: str, username: str | None) -> list[HistoryView]:
    return [HistoryView(username=r["username"], post=r["post"], from_at=iso(r["from_at"]), to_at=iso(r["to_at"]),
                        source=r["source"]) for r in await store.history(conn, plaza_id, username)]


def view(p: domain.Post) -> PostView:
    return PostView(post=p.post, name=p.name, department=p.department, procedures=list(p.procedures),
                    courses=p.required, pass_mark=p.pass_mark, rotates=p.rotates)
