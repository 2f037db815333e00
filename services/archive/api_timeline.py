"""A unit's timeline over HTTP: every event about it, oldest first, filtered and paged."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.archive import domain, services, store
from services.archive.services import BadField


class TimelineItem(msgspec.Struct, kw_only=True):
    event_id: str
    type: str
    occurred_at: str
    summary: str
    source: str
    correlation_id: str


class TimelineEntry(TimelineItem, kw_only=True):
    event: dict[str, Any]


def _item(row) -> TimelineItem:
    return TimelineItem(event_id=row["event_id"], type=row["type"], occurred_at=iso(row["occurred_at"]),
                        summary=row["summary"], source=row["source"], correlation_id=row["correlation_id"])



class TimelineController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/timeline"

    @get("/")
    async def timeline(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        types: list[str] | None = Parameter(query="type", default=None),
        kinds: list[str] | None = Parameter(query="kind", default=None),
        day: dt.date | None = Parameter(query="date", default=None),
        since: dt.datetime | None = Parameter(query="since", default=None),
        until: dt.datetime | None = Parameter(query="until", default=None),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=1000),
    ) -> Page:
        """Oldest first by (occurred_at, event_id); ``since`` inclusive, ``until`` exclusive;
        ``date`` is one day in the plaza's time zone; ``kind`` a family of types (work_order,
        request, visit, billing, unit, handover, renovation), ANDed with ``type``.

        Events about a unit archive has not registered are kept and shown, so an unknown
        unit gives its (possibly empty) history rather than a 404.
        """
        after = services.decode_cursor(cursor)
        wanted = _wanted_types(services.parse_types(types), services.parse_types(kinds))
        since, until = services.as_utc(since, "since"), services.as_utc(until, "until")
        async with runtime.read() as conn:
            if day is not None:
                since, until = _within_day(since, until, day, await store.get_plaza(conn, plaza))
            rows = await store.list_timeline(
                conn, plaza, unit, types=wanted, since=since, until=until,
                after=(after.occurred_at, after.event_id) if after else None, limit=limit + 1,
            )
        page = rows[:limit]
        last = page[-1] if page else None
        more = len(rows) > limit
        next_cursor = domain.TimelineCursor(last["occurred_at"], last["event_id"]).encode() if more else None
        return Page(items=[_item(r) for r in page], next=next_cursor)

    @get("/{event_id:str}")
    async def timeline_entry(
        self, plaza: FromPath[str], unit: FromPath[str], event_id: FromPath[str], runtime: Runtime
    ) -> TimelineEntry:
        async with runtime.read() as conn:
            row = await store.get_timeline_entry(conn, plaza, unit, event_id)
        if row is None:
            raise NotFound(f"event {event_id!r} is not on the timeline of unit {unit!r}", field="event_id")
        return TimelineEntry(**msgspec.structs.asdict(_item(row)), event=row["event"])


def _wanted_types(types: list[str], kinds: list[str]) -> list[str] | None:
    try:
        by_kind = domain.types_of_kinds(kinds) if kinds else None
    except domain.InvalidFact as exc:
        raise BadField(exc.message, field=exc.field) from exc
    if types and by_kind is not None:
        return [t for t in types if t in by_kind]
    return types or by_kind


def _within_day(since, until, day: dt.date, plaza) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(plaza["timezone"]) if plaza else dt.timezone.utc
    try:
        start, end = domain.day_bounds(day, zone)
    except OverflowError:  # the first or last day of the calendar: its bounds have no UTC instant
        raise BadField(f"date {day.isoformat()} is out of range", field="date") from None
    return max(start, since) if since else start, min(end, until) if until else end
