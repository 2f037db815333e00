"""Activities (社区文化活动/公益活动): the desk plans one, publishes it as a notice (approved
by a lead like any), takes sign-ups up to its capacity, the day's attendance, and a short
report with photos (archive document ids); the year's calendar lists them."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.contracts import new_event_id, utcnow
from libs.runtime import limits, replica
from libs.runtime.errors import Conflict, InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.notices import tables
from services.notices.activities import domain, store
from services.notices.audiences import domain as audiences
from services.notices.notices import services as notices


class ActivityCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: limits.Name
    kind: domain.Kind = "community"
    description: limits.Text
    place: limits.Name
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int


class PublishCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Who the activity's notice goes to (default: the whole plaza) and by which channels."""

    audience: audiences.Audience = msgspec.field(default_factory=audiences.Audience)
    channels: list[str] = []


class SignupCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit: limits.Code
    name: limits.Name | None = None
    phone: limits.Phone | None = None


class AttendanceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The units that came; every other sign-up is recorded as absent."""

    attended: limits.items(limits.Code, 10_000)


class ReportCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: limits.Text
    photos: limits.items(limits.Code, 100) = []


class SignupView(msgspec.Struct, kw_only=True):
    unit: str
    name: str | None
    phone: str | None
    signed_at: str
    attended: bool | None


class ActivityView(msgspec.Struct, kw_only=True):
    id: str
    title: str
    kind: str
    description: str
    place: str
    starts_at: str
    ends_at: str
    capacity: int
    signed_up: int
    places_left: int
    status: str
    notice_id: str | None
    created_by: str | None
    attended: int | None = None
    report: str | None = None
    photos: list[str] = []
    reported_at: str | None = None
    reported_by: str | None = None


def _refused(exc: domain.ActivityRefused):
    return (Conflict if exc.conflict else InvalidInput)(exc.reason, field=exc.field)


def _view(row, attended: int | None = None) -> ActivityView:
    return ActivityView(
        id=row["id"], title=row["title"], kind=row["kind"], description=row["description"], place=row["place"],
        starts_at=iso(row["starts_at"]), ends_at=iso(row["ends_at"]), capacity=row["capacity"],
        signed_up=row["signed_up"], places_left=row["capacity"] - row["signed_up"], status=row["status"],
        notice_id=row["notice_id"], created_by=row["created_by"], attended=attended, report=row["report"],
        photos=list(row["photos"] or []), reported_at=iso(row["reported_at"]), reported_by=row["reported_by"])


async def plan(tx: Tx, plaza_id: str, body: ActivityCreate, *, actor: str) -> ActivityView:
    try:
        domain.check_plan(body.starts_at, body.ends_at, body.capacity)
    except domain.ActivityRefused as exc:
        raise _refused(exc) from exc
    activity_id = new_event_id()
    await store.add(tx.conn, {
        "id": activity_id, "plaza_id": plaza_id, "title": body.title, "kind": body.kind,
        "description": body.description, "place": body.place, "starts_at": body.starts_at.astimezone(dt.timezone.utc),
        "ends_at": body.ends_at.astimezone(dt.timezone.utc), "capacity": body.capacity, "signed_up": 0,
        "status": "planned", "created_at": utcnow(), "created_by": actor, "photos": []})
    return await show(tx.conn, plaza_id, activity_id)


async def publish(tx: Tx, plaza_id: str, activity_id: str, body: PublishCreate, *, actor: str) -> ActivityView:
    """Its notice is written and sent for approval; sign-ups open at once."""
    row = await _activity(tx.conn, plaza_id, activity_id)
    try:
        domain.publishable(row["status"])
    except domain.ActivityRefused as exc:
        raise _refused(exc) from exc
    zone = await replica.plaza_zone_of(tx.conn, tables.plazas, plaza_id)

    def local(at: dt.datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    text = domain.notice_text(row["title"], row["place"], local(row["starts_at"]), local(row["ends_at"]),
                              row["capacity"], row["description"])
    notice = await notices.create_notice(tx, plaza_id, notices.NoticeCreate(
        kind="activity", title=row["title"], body=text.replace("{", "{{").replace("}", "}}"), audience=body.audience,
        channels=body.channels), actor=actor, source=f"activity:{activity_id}")
    await notices.submit_notice(tx, plaza_id, notice.id)
    if not await store.update(tx.conn, plaza_id, activity_id, ("planned",),
                              {"status": "published", "notice_id": notice.id}):
        raise Conflict("the activity changed meanwhile; read it again", field="status")
    return await show(tx.conn, plaza_id, activity_id)


async def sign_up(tx: Tx, plaza_id: str, activity_id: str, body: SignupCreate, *, actor: str,
                  now: dt.datetime | None = None) -> SignupView:
    """One place for the unit, while places are left (409 when full or signed up already)."""
    row = await _activity(tx.conn, plaza_id, activity_id)
    try:
        domain.open_for_signups(row["status"], row["ends_at"], now or utcnow())
    except domain.ActivityRefused as exc:
        raise _refused(exc) from exc
    if not await replica.unknown_facts(tx.conn, tables.plazas, tables.units, [_UnitOf(plaza_id, body.unit)]) == [None]:
        raise NotFound(f"unit {body.unit!r} is not registered in plaza {plaza_id!r}", field="unit")
    signup = {"plaza_id": plaza_id, "activity_id": activity_id, "unit": body.unit, "name": body.name,
              "phone": body.phone, "signed_at": utcnow(), "signed_by": actor, "attended": None}
    if not await store.add_signup(tx.conn, signup):
        raise Conflict(f"unit {body.unit!r} has signed up already", field="unit")
    if not await store.take_seat(tx.conn, plaza_id, activity_id):
        raise _refused(domain.full(row["capacity"]))  # the transaction is rolled back: no sign-up stays
    return _signup(signup)


async def signups(conn: AsyncConnection, plaza_id: str, activity_id: str) -> list[SignupView]:
    await _activity(conn, plaza_id, activity_id)
    return [_signup(r) for r in await store.signups_of(conn, plaza_id, activity_id)]


async def record_attendance(tx: Tx, plaza_id: str, activity_id: str, body: AttendanceCreate,
                            now: dt.datetime | None = None) -> ActivityView:
    row = await _activity(tx.conn, plaza_id, activity_id)
    try:
        domain.attendance_open(row["status"], row["starts_at"], now or utcnow())
    except domain.ActivityRefused as exc:
        raise _refused(exc) from exc
    signed = {r["unit"] for r in await store.signups_of(tx.conn, plaza_id, activity_id)}
    stray = sorted(set(body.attended) - signed)
    if stray:
        raise InvalidInput(f"unit {stray[0]!r} did not sign up for this activity", field="attended")
    await store.mark_attendance(tx.conn, plaza_id, activity_id, sorted(signed - set(body.attended)), False)
    await store.mark_attendance(tx.conn, plaza_id, activity_id, sorted(set(body.attended)), True)
    return await show(tx.conn, plaza_id, activity_id)


async def report(tx: Tx, plaza_id: str, activity_id: str, body: ReportCreate, *, actor: str,
                 now: dt.datetime | None = None) -> ActivityView:
    row = await _activity(tx.conn, plaza_id, activity_id)
    now = now or utcnow()
    try:
        domain.reportable(row["status"], row["starts_at"], now)
    except domain.ActivityRefused as exc:
        raise _refused(exc) from exc
    await store.update(tx.conn, plaza_id, activity_id, ("published", "reported"), {
        "status": "reported", "report": body.text, "photos": [p for p in body.photos if p.strip()],
        "reported_at": now, "reported_by": actor})
    return await show(tx.conn, plaza_id, activity_id)


async def show(conn: AsyncConnection, plaza_id: str, activity_id: str) -> ActivityView:
    row = await _activity(conn, plaza_id, activity_id)
    rows = await store.signups_of(conn, plaza_id, activity_id)
    taken = any(r["attended"] is not None for r in rows)
    return _view(row, sum(bool(r["attended"]) for r in rows) if taken else None)


async def calendar(conn: AsyncConnection, plaza_id: str, year: int | None) -> list[ActivityView]:
    """The year's activities (the plaza's calendar year, this one by default), in the order
    they take place."""
    zone = await replica.plaza_zone_of(conn, tables.plazas, plaza_id)
    year = year or utcnow().astimezone(zone).year
    if not 2000 <= year <= 2100:
        raise InvalidInput("year must be 2000 to 2100", field="year")
    start, end = domain.year_bounds(year, zone)
    return [_view(r) for r in await store.between(conn, plaza_id, start, end)]


def _signup(r) -> SignupView:
    return SignupView(unit=r["unit"], name=r["name"], phone=r["phone"], signed_at=iso(r["signed_at"]),
                      attended=r["attended"])


async def _activity(conn: AsyncConnection, plaza_id: str, activity_id: str):
    row = await store.get(conn, plaza_id, activity_id)
    if row is None:
        raise NotFound(f"activity {activity_id!r} not found", field="activity_id")
    return row


class _UnitOf:
    """What replica.unknown_facts reads of an event: its plaza and unit."""

    def __init__(self, plaza_id: str, unit: str) -> None:
        self.plaza_id = plaza_id
        self.unit_id = unit
