"""Use cases of post records: what each person did, kept from the events of the services
they work in; a shift's handover note; the clerk's daily report made of both; the
supervisor's sign-off with comments."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits
from libs.runtime.errors import Conflict, InvalidInput
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff import facts
from services.staff.posts.domain import Refused
from services.staff.records import domain, store
from services.staff.roster import services as roster


class NoteCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    happened: limits.Note  # what happened on the shift
    pending: limits.Note = ""  # what the next person must pick up
    shift_id: limits.Code | None = None


class ReviewCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: limits.Note | None = None


class NoteView(msgspec.Struct, kw_only=True):
    id: str
    username: str
    shift_id: str | None
    day: str
    happened: str
    pending: str
    written_at: str


class ActivityView(msgspec.Struct, kw_only=True):
    kind: str  # request | visit | dunning | complaint
    ref: str
    what: str
    occurred_at: str


class ReviewView(msgspec.Struct, kw_only=True):
    reviewed_by: str
    reviewed_at: str
    comment: str | None


class DailyReport(msgspec.Struct, kw_only=True):
    username: str
    day: str
    requests: int  # requests logged, every channel
    calls: int  # of them by phone
    visits: int  # return visits made
    dunning: int
    complaints: int  # complaint work orders handled
    activity: list[ActivityView]
    notes: list[NoteView]
    review: ReviewView | None


async def record_events(tx: Tx, events: list) -> None:
    rows = []
    for e in events:
        found = domain.activity(e)
        if found is not None:
            who, kind, ref, what = found
            rows.append({"event_id": e.id, "plaza_id": e.plaza_id, "username": who, "kind": kind, "ref": ref,
                         "what": str(what or ""), "unit": getattr(e, "unit", None) or None,
                         "occurred_at": e.occurred_at})
    await store.add_activity(tx.conn, rows)


async def write_note(tx: Tx, plaza_id: str, body: NoteCreate, *, actor: str) -> NoteView:
    now = utcnow()
    when = now
    if body.shift_id:
        shift = await roster.get_shift(tx.conn, plaza_id, body.shift_id)
        if shift is None or shift["username"] != actor:
            raise InvalidInput(f"shift {body.shift_id!r} is not one of {actor!r}'s", field="shift_id")
        when = shift["starts_at"]
    day = when.astimezone(await facts.zone(tx.conn, plaza_id)).date()
    row = {"note_id": new_event_id(), "plaza_id": plaza_id, "username": actor, "shift_id": body.shift_id,
           "day": day, "happened": body.happened, "pending": body.pending, "written_at": now}
    await store.add_note(tx.conn, row)
    return _note(row)


async def daily_report(conn, plaza_id: str, username: str, day: str) -> DailyReport:
    date = _day(day)
    start, end = await _bounds(conn, plaza_id, date)
    done = await store.activity_between(conn, plaza_id, start, end, username)
    reviews = await store.reviews(conn, plaza_id, date, username)
    def count(kind: str) -> int:
        return sum(1 for a in done if a["kind"] == kind)

    return DailyReport(
        username=username, day=date.isoformat(), requests=count("request"),
        calls=sum(1 for a in done if a["kind"] == "request" and a["what"] == "phone"), visits=count("visit"),
        dunning=count("dunning"), complaints=count("complaint"),
        activity=[ActivityView(kind=a["kind"], ref=a["ref"], what=a["what"], occurred_at=iso(a["occurred_at"]))
                  for a in done],
        notes=[_note(n) for n in await store.notes(conn, plaza_id, date, username)],
        review=_review(reviews[0]) if reviews else None,
    )


async def day_reports(conn, plaza_id: str, day: str | None) -> list[DailyReport]:
    """Everyone who did something or wrote a note that day (today, the plaza's, when none is
    asked): the supervisor's review list."""
    if day is None:
        day = utcnow().astimezone(await facts.zone(conn, plaza_id)).date().isoformat()
    date = _day(day)
    start, end = await _bounds(conn, plaza_id, date)
    names = {a["username"] for a in await store.activity_between(conn, plaza_id, start, end)}
    names |= {n["username"] for n in await store.notes(conn, plaza_id, date)}
    return [await daily_report(conn, plaza_id, name, day) for name in sorted(names)]


async def review_day(tx: Tx, plaza_id: str, username: str, day: str, body: ReviewCreate, *,
                     actor: str) -> DailyReport:
    date = _day(day)
    domain.reviewer(username, actor)  # never one's own day (403)
    if not await store.add_review(tx.conn, {"plaza_id": plaza_id, "username": username, "day": date,
                                            "reviewed_by": actor, "reviewed_at": utcnow(), "comment": body.comment}):
        raise Conflict(f"{username}'s {day} is signed off already", field="day")
    return await daily_report(tx.conn, plaza_id, username, day)


def _day(day: str) -> dt.date:
    try:
        return domain.check_day(day)
    except Refused as exc:
        raise InvalidInput(exc.detail, field=exc.field) from exc


async def _bounds(conn, plaza_id: str, date: dt.date):
    zone = await facts.zone(conn, plaza_id)
    start = dt.datetime.combine(date, dt.time(), zone)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


def _note(row) -> NoteView:
    return NoteView(id=row["note_id"], username=row["username"], shift_id=row["shift_id"],
                    day=row["day"].isoformat(), happened=row["happened"], pending=row["pending"],
                    written_at=iso(row["written_at"]))


def _review(row) -> ReviewView:
    return ReviewView(reviewed_by=row["reviewed_by"], reviewed_at=iso(row["reviewed_at"]), comment=row["comment"])
