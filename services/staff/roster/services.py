"""Use cases of the roster: plan and cancel shifts (only for people qualified for the
post), swaps the supervisor approves, the desk's opening hours and the week's roster with
the hours no one covers. Every change of a shift is announced (ShiftPlanned with the
whole shift as it now is, ShiftCancelled) through the outbox."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.staff import ShiftCancelled, ShiftPlanned
from libs.runtime import limits
from libs.runtime.errors import Conflict, DomainError, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.people import services as people
from services.staff.posts.domain import Refused
from services.staff.roster import domain, store
from services.staff.training import services as training


class ShiftCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: limits.Code
    post: limits.Code
    starts_at: dt.datetime
    ends_at: dt.datetime


class SwapCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to: limits.Code  # the person who takes the shift
    reason: limits.Note | None = None


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: limits.Note | None = None


class HoursUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    hours: dict[str, list[list[str]]]  # {"mon": [["08:00", "20:00"]], …} in the plaza's time
    posts: limits.items(limits.Code, 20) = msgspec.field(default_factory=lambda: list(domain.DEFAULT_COVERED))


class ShiftView(msgspec.Struct, kw_only=True):
    id: str
    username: str
    post: str
    department: str | None
    starts_at: str
    ends_at: str
    status: str


class SwapView(msgspec.Struct, kw_only=True):
    id: str
    shift_id: str
    from_username: str
    to_username: str
    reason: str | None
    status: str
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None


class Gap(msgspec.Struct, kw_only=True):
    starts_at: str
    ends_at: str


class HoursView(msgspec.Struct, kw_only=True):
    hours: dict[str, list[list[str]]]
    posts: list[str]


class RosterView(msgspec.Struct, kw_only=True):
    week: str
    starts_on: str
    hours: HoursView
    shifts: list[ShiftView]
    uncovered: list[Gap]  # opening hours no shift of the covering posts holds


def refused(exc: Refused) -> InvalidInput:
    return InvalidInput(exc.detail, field=exc.field)


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


async def plan_shift(tx: Tx, plaza_id: str, body: ShiftCreate, *, actor: str) -> ShiftView:
    try:
        domain.check_shift(body.starts_at, body.ends_at)
    except Refused as exc:
        raise refused(exc) from exc
    person = await people.show(tx.conn, plaza_id, body.username)
    if not person.active:
        raise InvalidInput(f"{body.username!r} is deactivated", field="username")
    post = await training.require_qualified(tx.conn, plaza_id, body.username, body.post, field="post")
    start, end = body.starts_at.astimezone(dt.timezone.utc), body.ends_at.astimezone(dt.timezone.utc)
    await _free(tx.conn, plaza_id, body.username, start, end)
    now = utcnow()
    row = {"shift_id": new_event_id(), "plaza_id": plaza_id, "username": body.username, "post": body.post,
           "department": person.department or post.department, "starts_at": start, "ends_at": end,
           "status": "planned", "planned_by": actor, "updated_at": now}
    await store.add_shift(tx.conn, row)
    await tx.emit(_planned(row, actor))
    return view(row)


async def cancel_shift(tx: Tx, plaza_id: str, shift_id: str, *, actor: str) -> ShiftView:
    row = await _shift(tx.conn, plaza_id, shift_id)
    if row["status"] != "planned":
        raise Conflict(f"shift {shift_id!r} is {row['status']} already", field="shift_id")
    await store.update_shift(tx.conn, shift_id, {"status": "cancelled", "updated_at": utcnow()})
    await tx.emit(ShiftCancelled(plaza_id=plaza_id, correlation_id=shift_id, actor=actor, shift_id=shift_id,
                                 username=row["username"]))
    return view({**row, "status": "cancelled"})


LEADS = frozenset({"supervisor", "manager", "operator"})


async def request_swap(tx: Tx, plaza_id: str, shift_id: str, body: SwapCreate, *, actor: str,
                       lead: bool = False) -> SwapView:
    """A person asks to hand their own shift over; a lead may ask for anyone's."""
    row = await _shift(tx.conn, plaza_id, shift_id)
    if not lead and row["username"] != actor:
        raise Forbidden(f"shift {shift_id!r} is {row['username']!r}'s: only they or a supervisor may ask to swap it",
                        field="shift_id")
    if row["status"] != "planned" or row["ends_at"] <= utcnow():
        raise Conflict(f"shift {shift_id!r} is {row['status']} or over: nothing to swap", field="shift_id")
    if body.to == row["username"]:
        raise InvalidInput("the shift is theirs already", field="to")
    await _can_take(tx.conn, plaza_id, row, body.to)
    swap = {"swap_id": new_event_id(), "plaza_id": plaza_id, "shift_id": shift_id, "from_username": row["username"],
            "to_username": body.to, "reason": body.reason, "status": "pending", "requested_by": actor,
            "requested_at": utcnow(), "decided_by": None, "decided_at": None}
    await store.add_swap(tx.conn, swap)
    return swap_view(swap)


async def decide_swap(tx: Tx, plaza_id: str, swap_id: str, *, approve: bool, actor: str) -> SwapView:
    swap = await store.swap(tx.conn, plaza_id, swap_id)
    if swap is None:
        raise NotFound(f"no swap {swap_id!r}", field="swap_id")
    status = domain.decide_swap(swap["status"], swap["requested_by"], actor, approve=approve)
    now = utcnow()
    if status == "approved":
        row = await _shift(tx.conn, plaza_id, swap["shift_id"])
        if row["status"] != "planned" or row["username"] != swap["from_username"]:
            raise Conflict("the shift changed since the swap was asked for", field="swap_id")
        await _can_take(tx.conn, plaza_id, row, swap["to_username"])
        changed = {"username": swap["to_username"], "updated_at": now}
        await store.update_shift(tx.conn, row["shift_id"], changed)
        await tx.emit(_planned({**row, **changed}, actor))
    decided = {"status": status, "decided_by": actor, "decided_at": now}
    await store.update_swap(tx.conn, swap_id, decided)
    return swap_view({**swap, **decided})


async def list_swaps(conn, plaza_id: str, status: str | None) -> list[SwapView]:
    return [swap_view(s) for s in await store.swaps(conn, plaza_id, status)]


async def put_hours(tx: Tx, plaza_id: str, body: HoursUpdate, *, actor: str) -> HoursView:
    try:
        domain.check_hours(body.hours)
    except Refused as exc:
        raise refused(exc) from exc
    await store.put_hours(tx.conn, {"plaza_id": plaza_id, "hours": msgspec.json.encode(body.hours).decode(),
                                    "posts": msgspec.json.encode(body.posts).decode(), "updated_by": actor,
                                    "updated_at": utcnow()})
    return HoursView(hours=body.hours, posts=list(body.posts))


async def hours(conn, plaza_id: str) -> HoursView:
    row = await store.hours(conn, plaza_id)
    if row is None:
        return HoursView(hours=domain.DEFAULT_HOURS, posts=domain.DEFAULT_COVERED)
    return HoursView(hours=msgspec.json.decode(row["hours"]), posts=msgspec.json.decode(row["posts"]))


async def roster_week(conn, plaza_id: str, week: str | None) -> RosterView:
    zone = await facts.zone(conn, plaza_id)
    try:
        monday = domain.week_start(week, zone, utcnow())
    except Refused as exc:
        raise refused(exc) from exc
    start = domain.local(monday, "00:00", zone)
    end = domain.local(monday + dt.timedelta(days=7), "00:00", zone)
    desk = await hours(conn, plaza_id)
    rows = await store.planned(conn, plaza_id, start, end)
    covering = [(r["starts_at"], r["ends_at"]) for r in rows if r["post"] in desk.posts]
    gaps = domain.uncovered(domain.opening(monday, desk.hours, zone), covering)
    year, number, _ = monday.isocalendar()
    return RosterView(week=f"{year}-W{number:02d}", starts_on=monday.isoformat(), hours=desk,
                      shifts=[view(r) for r in rows], uncovered=[Gap(starts_at=iso(a), ends_at=iso(b)) for a, b in gaps])


async def shifts_between(conn, plaza_id: str, start, end, username: str | None = None) -> list:
    return await store.planned(conn, plaza_id, start, end, username=username)


async def get_shift(conn, plaza_id: str, shift_id: str):
    return await store.shift(conn, plaza_id, shift_id)


async def _shift(conn, plaza_id: str, shift_id: str):
    row = await store.shift(conn, plaza_id, shift_id)
    if row is None:
        raise NotFound(f"no shift {shift_id!r}", field="shift_id")
    return row


async def _can_take(conn, plaza_id: str, row, username: str) -> None:
    if not (await people.show(conn, plaza_id, username)).active:
        raise InvalidInput(f"{username!r} is deactivated", field="to")
    await training.require_qualified(conn, plaza_id, username, row["post"], field="to")
    await _free(conn, plaza_id, username, row["starts_at"], row["ends_at"], field="to")


async def _free(conn, plaza_id: str, username: str, start, end, field: str = "starts_at") -> None:
    clash = await store.planned(conn, plaza_id, start, end, username=username)
    if clash:
        raise Conflict(f"{username!r} is on shift {clash[0]['shift_id']} then already", field=field)


def _planned(row, actor: str) -> ShiftPlanned:
    return ShiftPlanned(plaza_id=row["plaza_id"], correlation_id=row["shift_id"], actor=actor,
                        shift_id=row["shift_id"], username=row["username"], post=row["post"],
                        department=row["department"], starts_at=row["starts_at"], ends_at=row["ends_at"])


def view(row) -> ShiftView:
    return ShiftView(id=row["shift_id"], username=row["username"], post=row["post"], department=row["department"],
                     starts_at=iso(row["starts_at"]), ends_at=iso(row["ends_at"]), status=row["status"])


def swap_view(s) -> SwapView:
    return SwapView(id=s["swap_id"], shift_id=s["shift_id"], from_username=s["from_username"],
                    to_username=s["to_username"], reason=s["reason"], status=s["status"],
                    requested_by=s["requested_by"], requested_at=iso(s["requested_at"]),
                    decided_by=s["decided_by"], decided_at=iso(s["decided_at"]))
