"""A unit's timeline over HTTP: every event about it, oldest first, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.archive.timeline import services as timeline
from services.archive.timeline import store


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

    @get(
        "/",
        summary="单元时间线 / A unit's timeline",
        description="该单元发生过的一切（报事、工单、回访、收费、交房、装修、档案变更），按时间从早到晚，"
        "可按 type、kind（work_order、request、visit、billing、unit、handover、renovation）、"
        "date（广场时区的一天）、since（含）/until（不含）筛选，分页。未登记的单元也返回其（可能为空的）历史。\n\n"
        "Everything that happened to the unit, oldest first by (occurred_at, event_id); filtered by "
        "``type``, ``kind`` (a family of types: work_order, request, visit, billing, unit, handover, "
        "renovation; ANDed with ``type``), ``date`` (one day in the plaza's time zone), ``since`` "
        "(inclusive) and ``until`` (exclusive); a page at a time. Events about a unit archive has not "
        "registered are kept and shown, so an unknown unit gives its (possibly empty) history, not a 404.",
    )
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
        query = timeline.TimelineQuery(types=types, kinds=kinds, day=day, since=since, until=until, cursor=cursor,
                                       limit=limit)
        async with runtime.read() as conn:
            page = await timeline.read_timeline(conn, plaza, unit, query)
        return Page(items=[_item(r) for r in page.rows], next=page.next)

    @get(
        "/{event_id:str}",
        summary="时间线条目 / One timeline entry",
        description="时间线上的一条，连同完整的事件。\n\nOne entry of the unit's timeline with the whole event it files.",
    )
    async def timeline_entry(
        self, plaza: FromPath[str], unit: FromPath[str], event_id: FromPath[str], runtime: Runtime
    ) -> TimelineEntry:
        async with runtime.read() as conn:
            row = await store.get_timeline_entry(conn, plaza, unit, event_id)
        if row is None:
            raise NotFound(f"event {event_id!r} is not on the timeline of unit {unit!r}", field="event_id")
        return TimelineEntry(**msgspec.structs.asdict(_item(row)), event=row["event"])
