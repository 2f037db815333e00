"""Use cases of rotation: draft the half-year's plan (who moves to which post, training
scheduled first where a course is missing), adjust a move, approve it (a second person:
every move is then qualified and applied, the history kept) or reject it."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.people import domain as people_domain
from services.staff.people import services as people
from services.staff.posts import domain as posts_domain
from services.staff.posts import services as posts
from services.staff.rotation import domain, store
from services.staff.training import services as training

DESK = "customer_service"
TRAIN_BEFORE = dt.timedelta(days=14)


class PlanCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    starts_on: dt.date  # the first day of the half-year the posts change for


class MoveUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to_post: limits.Code


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: limits.Note | None = None


class PlanView(msgspec.Struct, kw_only=True):
    id: str
    period: str
    starts_on: str
    status: str
    moves: list[domain.Move]
    unstaffed: list[str]
    training_sessions: list[str]  # scheduled for the missing courses
    drafted_by: str
    drafted_at: str
    adjusted_by: str | None
    decided_by: str | None
    decided_at: str | None
    comment: str | None


async def draft_plan(tx: Tx, plaza_id: str, body: PlanCreate, *, actor: str) -> PlanView:
    period = domain.half_year(body.starts_on)
    if await _has_plan(tx.conn, plaza_id, period):
        raise Conflict(f"{period} has a rotation plan already", field="starts_on")
    catalogue = await posts.catalogue(tx.conn, plaza_id)
    rotating = [p for p, post in catalogue.items() if post.rotates and post.department == DESK]
    staff = {r["username"]: r["post"] for r in await people.people_at(tx.conn, plaza_id)
             if r["active"] and (r["post"] in rotating or (not r["post"] and "clerk" in people_domain.split(r["roles"])))}
    passed = await training.passed_courses(tx.conn, plaza_id, list(staff))
    missing = {(n, p): posts_domain.missing(catalogue[p], passed.get(n, set())) for n in staff for p in rotating}
    proposal = domain.propose(staff, rotating, await posts.worked_counts(tx.conn, plaza_id), missing)
    sessions = await _schedule_training(tx, plaza_id, proposal.moves, body.starts_on, actor)
    row = {"plan_id": new_event_id(), "plaza_id": plaza_id, "starts_on": body.starts_on, "status": "pending",
           "moves": _json(proposal.moves), "unstaffed": _json(proposal.unstaffed), "sessions": _json(sessions),
           "drafted_by": actor, "drafted_at": utcnow(), "adjusted_by": None, "decided_by": None,
           "decided_at": None, "comment": None}
    await store.add(tx.conn, row)
    return view(row)


async def draft_due_plans(transaction, today: dt.date | None = None) -> list[PlanView]:
    """Every six months, without anyone remembering: in the month before a half-year starts,
    each plaza that has no plan for it gets one drafted (by ``system``), for its supervisor
    to adjust and a lead to approve. A plaza with nobody to rotate gets none."""
    drafted = []
    async with transaction() as tx:
        plazas = await store.plaza_ids(tx.conn)
    for plaza_id in plazas:
        try:
            async with transaction() as tx:
                zone = await facts.zone(tx.conn, plaza_id)
                starts_on = domain.draft_due(today or utcnow().astimezone(zone).date())
                if starts_on is None or await _has_plan(tx.conn, plaza_id, domain.half_year(starts_on)):
                    continue
                plan = await draft_plan(tx, plaza_id, PlanCreate(starts_on=starts_on), actor="system")
                if not plan.moves:
                    raise _NothingToRotate  # the empty plan (and nothing else) is rolled back
            drafted.append(plan)
        except _NothingToRotate:
            continue
    return drafted


class _NothingToRotate(Exception):
    pass


async def _has_plan(conn, plaza_id: str, period: str) -> bool:
    return any(r["status"] != "rejected" and domain.half_year(r["starts_on"]) == period
               for r in await store.all_of(conn, plaza_id))


async def adjust_move(tx: Tx, plaza_id: str, plan_id: str, username: str, body: MoveUpdate, *,
                      actor: str) -> PlanView:
    row = await _pending(tx.conn, plaza_id, plan_id)
    catalogue = await posts.catalogue(tx.conn, plaza_id)
    if body.to_post not in catalogue:
        raise InvalidInput(f"no post {body.to_post!r} at this plaza", field="to_post")
    moves = msgspec.json.decode(row["moves"], type=list[domain.Move])
    move = next((m for m in moves if m.username == username), None)
    if move is None:
        raise NotFound(f"{username!r} has no move in this plan", field="username")
    passed = (await training.passed_courses(tx.conn, plaza_id, [username])).get(username, set())
    move.to_post = body.to_post
    move.training_needed = posts_domain.missing(catalogue[body.to_post], passed)
    move.times_worked = (await posts.worked_counts(tx.conn, plaza_id)).get((username, body.to_post), 0)
    taken = {m.to_post for m in moves}
    unstaffed = sorted({*msgspec.json.decode(row["unstaffed"]), *(m.from_post for m in moves if m.from_post)} - taken)
    changed = {"moves": _json(moves), "unstaffed": _json(unstaffed), "adjusted_by": actor}
    await store.update(tx.conn, plan_id, changed)
    return view({**row, **changed})


async def decide_plan(tx: Tx, plaza_id: str, plan_id: str, body: Decision, *, approve: bool, actor: str) -> PlanView:
    row = await _pending(tx.conn, plaza_id, plan_id)
    moves = msgspec.json.decode(row["moves"], type=list[domain.Move])
    if approve:
        domain.approver(row["drafted_by"], row["adjusted_by"], actor)
        untrained = []
        for m in moves:
            try:
                await training.require_qualified(tx.conn, plaza_id, m.username, m.to_post)
            except training.Unqualified as exc:
                untrained.append(f"{m.username}: {', '.join(exc.members['missing_training'])} for {m.to_post}")
        if untrained:
            raise Conflict("training first (上岗前须培训合格): " + "; ".join(untrained), field="moves")
        for m in moves:
            await people.set_post(tx, plaza_id, m.username, m.to_post, source="rotation", actor=actor)
    decided = {"status": "approved" if approve else "rejected", "decided_by": actor, "decided_at": utcnow(),
               "comment": body.comment}
    await store.update(tx.conn, plan_id, decided)
    return view({**row, **decided})


async def show(conn, plaza_id: str, plan_id: str) -> PlanView:
    row = await store.get(conn, plaza_id, plan_id)
    if row is None:
        raise NotFound(f"no rotation plan {plan_id!r}", field="plan_id")
    return view(row)


async def list_plans(conn, plaza_id: str) -> list[PlanView]:
    return [view(r) for r in await store.all_of(conn, plaza_id)]


async def _pending(conn, plaza_id: str, plan_id: str):
    row = await store.get(conn, plaza_id, plan_id, lock=True)
    if row is None:
        raise NotFound(f"no rotation plan {plan_id!r}", field="plan_id")
    if row["status"] != "pending":
        raise Conflict(f"this rotation plan is {row['status']} already", field="status")
    return row


async def _schedule_training(tx: Tx, plaza_id: str, moves: list[domain.Move], starts_on: dt.date,
                             actor: str) -> list[str]:
    """One session per missing course, two weeks before the rotation (or tomorrow)."""
    invited: dict[str, list[str]] = {}
    for m in moves:
        for course in m.training_needed:
            invited.setdefault(course, []).append(m.username)
    if not invited:
        return []
    zone = await facts.zone(tx.conn, plaza_id)
    day = max(starts_on - TRAIN_BEFORE, (utcnow() + dt.timedelta(days=1)).astimezone(zone).date())
    at = dt.datetime.combine(day, dt.time(9), zone)
    ids = []
    for course, names in sorted(invited.items()):
        body = training.SessionCreate(course=course, starts_at=at, invited=names)
        ids.append((await training.schedule_session(tx, plaza_id, body, actor=actor)).id)
    return ids


def _json(value) -> str:
    return msgspec.json.encode(value).decode()


def view(row) -> PlanView:
    return PlanView(
        id=row["plan_id"], period=domain.half_year(row["starts_on"]), starts_on=row["starts_on"].isoformat(),
        status=row["status"], moves=msgspec.json.decode(row["moves"], type=list[domain.Move]),
        unstaffed=msgspec.json.decode(row["unstaffed"]), training_sessions=msgspec.json.decode(row["sessions"]),
        drafted_by=row["drafted_by"], drafted_at=iso(row["drafted_at"]), adjusted_by=row["adjusted_by"],
        decided_by=row["decided_by"], decided_at=iso(row["decided_at"]), comment=row["comment"],
    )
