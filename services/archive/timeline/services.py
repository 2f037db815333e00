"""Filing events on the timeline of their unit, and reading a timeline back a page at a
time. Every other capability files through here, in its own transaction."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import msgspec

from libs.contracts import Event, utcnow
from libs.contracts.events import STREAM_OF
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.archive.timeline import domain, store


class BadField(InvalidInput):
    """A field of the request body is wrong: the same 400 the API gives for a wrong type."""

    status = 400
    title = "Invalid request"


def refused(exc: domain.InvalidFact) -> BadField:
    return BadField(exc.message, field=exc.field)


# --- filing ----------------------------------------------------------------------------


async def record_event(tx: Tx, event: Event) -> None:
    await record_events(tx, [event])


async def record_events(tx: Tx, events: list[Event], summarize: Callable[[Event], str] = domain.summarize) -> int:
    """Any service's event about a unit goes on its timeline (the consumer lets through
    only registered units): one insert for the batch, an event already filed, or the same
    fact under another event id (``domain.fact_key``), is left as it is. Returns how many
    were about a unit."""
    rows = [timeline_row(e, summarize(e)) for e in events if e.unit_id]
    await store.add_timeline_entries(tx.conn, rows)
    return len(rows)


async def file_on_timeline(tx: Tx, event: Event, summary: str) -> bool:
    return await store.add_timeline_entry(tx.conn, timeline_row(event, summary))


def timeline_row(event: Event, summary: str) -> dict:
    return {
        "event_id": event.id,
        "fact_key": domain.fact_key(event),
        "plaza_id": event.plaza_id,
        "unit": event.unit_id,
        "type": type(event).__name__,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "source": STREAM_OF.get(type(event), "unknown"),
        "summary": summary,
        "event": msgspec.to_builtins(event),
        "recorded_at": utcnow(),
    }


# --- reading ---------------------------------------------------------------------------


class TimelineQuery(msgspec.Struct, kw_only=True):
    """``?type=``, ``?kind=``, ``?date=``, ``?since=``, ``?until=``, ``?cursor=`` as given."""

    types: list[str] | None = None
    kinds: list[str] | None = None
    day: dt.date | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    cursor: str | None = None
    limit: int = 100


class TimelinePage(msgspec.Struct, kw_only=True):
    rows: list
    next: str | None


async def read_timeline(conn, plaza_id: str, unit: str, query: TimelineQuery) -> TimelinePage:
    """Oldest first by (occurred_at, event_id); ``since`` inclusive, ``until`` exclusive;
    ``date`` one day in the plaza's time zone; ``kind`` a family of types, ANDed with ``type``."""
    after = decode_cursor(query.cursor)
    wanted = _wanted_types(parse_types(query.types), parse_types(query.kinds))
    since, until = as_utc(query.since, "since"), as_utc(query.until, "until")
    if query.day is not None:
        since, until = _within_day(since, until, query.day, await store.plaza_timezone(conn, plaza_id))
    rows = await store.list_timeline(
        conn, plaza_id, unit, types=wanted, since=since, until=until,
        after=(after.occurred_at, after.event_id) if after else None, limit=query.limit + 1,
    )
    page = rows[:query.limit]
    more = len(rows) > query.limit
    next_cursor = domain.TimelineCursor(page[-1]["occurred_at"], page[-1]["event_id"]).encode() if more else None
    return TimelinePage(rows=page, next=next_cursor)


def parse_types(values: list[str] | None) -> list[str]:
    """``?type=A&type=B`` and ``?type=A,B`` mean the same."""
    return [t.strip() for v in values or [] for t in v.split(",") if t.strip()]


def as_utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise BadField(f"{field} must carry a time zone, e.g. 2024-05-01T00:00:00Z", field=field)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999: no such instant in UTC
        raise BadField(f"{field} is out of range", field=field) from None


def decode_cursor(text: str | None) -> domain.TimelineCursor | None:
    if not text:
        return None
    try:
        return domain.TimelineCursor.decode(text)
    except domain.InvalidFact as exc:
        raise refused(exc) from exc


def _wanted_types(types: list[str], kinds: list[str]) -> list[str] | None:
    try:
        by_kind = domain.types_of_kinds(kinds) if kinds else None
    except domain.InvalidFact as exc:
        raise refused(exc) from exc
    if types and by_kind is not None:
        return [t for t in types if t in by_kind]
    return types or by_kind


def _within_day(since, until, day: dt.date, timezone: str | None) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(timezone) if timezone else dt.timezone.utc
    try:
        start, end = domain.day_bounds(day, zone)
    except OverflowError:  # the first or last day of the calendar: its bounds have no UTC instant
        raise BadField(f"date {day.isoformat()} is out of range", field="date") from None
    return max(start, since) if since else start, min(end, until) if until else end
