"""Archive's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Response, get, put
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.contracts.events import Occupant
from libs.contracts.subjects import InvalidToken
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.archive import domain, services, store
from services.archive.services import PlazaUpdate, UnitUpdate


def token(value: str, field: str) -> str:
    """Plaza and unit ids become subject tokens; a bad one is a 422 naming the field."""
    try:
        return validate_token(value, field)
    except InvalidToken as exc:
        raise InvalidInput(str(exc), field=field) from exc


class PlazaView(msgspec.Struct, kw_only=True):
    plaza_id: str
    name: str
    timezone: str
    created_at: str
    updated_at: str


class UnitView(msgspec.Struct, kw_only=True):
    plaza_id: str
    unit: str
    area_m2: float
    use: str
    occupant: Occupant
    key_account: bool
    revision: int
    created_at: str
    updated_at: str


class RevisionView(msgspec.Struct, kw_only=True):
    revision: int
    who: str
    when: str
    event_id: str
    changes: list[domain.Change]
    before: dict | None
    after: dict


class TimelineItem(msgspec.Struct, kw_only=True):
    event_id: str
    type: str
    occurred_at: str
    summary: str
    source: str
    correlation_id: str


class TimelineEntry(TimelineItem, kw_only=True):
    event: dict[str, Any]


def _plaza(row) -> PlazaView:
    return PlazaView(plaza_id=row["plaza_id"], name=row["name"], timezone=row["timezone"],
                     created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]))


def _unit(row) -> UnitView:
    return UnitView(
        plaza_id=row["plaza_id"], unit=row["unit"], area_m2=row["area_m2"], use=row["use"],
        occupant=Occupant(name=row["occupant_name"], kind=row["occupant_kind"], phone=row["occupant_phone"]),
        key_account=row["key_account"], revision=row["revision"],
        created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]),
    )


def _revision(row) -> RevisionView:
    return RevisionView(revision=row["revision"], who=row["who"], when=iso(row["changed_at"]),
                        event_id=row["event_id"], changes=domain.diff(row["before"], row["after"]),
                        before=row["before"], after=row["after"])


def _item(row) -> TimelineItem:
    return TimelineItem(event_id=row["event_id"], type=row["type"], occurred_at=iso(row["occurred_at"]),
                        summary=row["summary"], source=row["source"], correlation_id=row["correlation_id"])


def _saved(saved: services.Saved, view) -> Response:
    return Response(view(saved.row), status_code=201 if saved.created else 200)


class PlazaController(Controller):
    path = "/v1/plazas"

    @put("/{plaza:str}")
    async def register(
        self,
        plaza: FromPath[str],
        data: PlazaUpdate,
        runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[PlazaView]:
        token(plaza, "plaza")
        async with runtime.transaction() as tx:
            saved = await services.register_plaza(tx, plaza, data, actor=actor, correlation_id=correlation_id)
        return _saved(saved, _plaza)

    @get("/{plaza:str}")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> PlazaView:
        async with runtime.read() as conn:
            row = await store.get_plaza(conn, plaza)
        if row is None:
            raise NotFound(f"plaza {plaza!r} is not registered", field="plaza")
        return _plaza(row)

    @get("/")
    async def index(
        self,
        runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_plazas(conn, after=cursor, limit=limit + 1)
        items = [_plaza(r) for r in rows[:limit]]
        return Page(items=items, next=items[-1].plaza_id if len(rows) > limit else None)


class UnitController(Controller):
    path = "/v1/plazas/{plaza:str}/units"

    @put("/{unit:str}")
    async def register(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        data: UnitUpdate,
        runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[UnitView]:
        token(plaza, "plaza")
        token(unit, "unit")
        async with runtime.transaction() as tx:
            saved = await services.register_unit(tx, plaza, unit, data, actor=actor, correlation_id=correlation_id)
        return _saved(saved, _unit)

    @get("/{unit:str}")
    async def show(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime) -> UnitView:
        async with runtime.read() as conn:
            row = await store.get_unit(conn, plaza, unit)
        if row is None:
            raise NotFound(f"unit {unit!r} is not registered in plaza {plaza!r}", field="unit")
        return _unit(row)

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            await services.require_plaza(conn, plaza)
            rows = await store.list_units(conn, plaza, after=cursor, limit=limit + 1)
        items = [_unit(r) for r in rows[:limit]]
        return Page(items=items, next=items[-1].unit if len(rows) > limit else None)

    @get("/{unit:str}/revisions")
    async def revisions(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        cursor: int | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            if await store.get_unit(conn, plaza, unit) is None:
                raise NotFound(f"unit {unit!r} is not registered in plaza {plaza!r}", field="unit")
            rows = await store.list_revisions(conn, plaza, unit, after=cursor, limit=limit + 1)
        items = [_revision(r) for r in rows[:limit]]
        return Page(items=items, next=str(items[-1].revision) if len(rows) > limit else None)

    @get("/{unit:str}/timeline")
    async def timeline(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        types: list[str] | None = Parameter(query="type", default=None),
        since: dt.datetime | None = Parameter(query="since", default=None),
        until: dt.datetime | None = Parameter(query="until", default=None),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=1000),
    ) -> Page:
        """Oldest first by (occurred_at, event_id); ``since`` inclusive, ``until`` exclusive.

        Events about a unit archive has not registered are kept and shown, so an unknown
        unit gives its (possibly empty) history rather than a 404.
        """
        after = services.decode_cursor(cursor)
        async with runtime.read() as conn:
            rows = await store.list_timeline(
                conn, plaza, unit, types=services.parse_types(types),
                since=services.as_utc(since, "since"), until=services.as_utc(until, "until"),
                after=(after.occurred_at, after.event_id) if after else None, limit=limit + 1,
            )
        page = rows[:limit]
        last = page[-1] if page else None
        more = len(rows) > limit
        next_cursor = domain.TimelineCursor(last["occurred_at"], last["event_id"]).encode() if more else None
        return Page(items=[_item(r) for r in page], next=next_cursor)

    @get("/{unit:str}/timeline/{event_id:str}")
    async def timeline_entry(
        self, plaza: FromPath[str], unit: FromPath[str], event_id: FromPath[str], runtime: Runtime
    ) -> TimelineEntry:
        async with runtime.read() as conn:
            row = await store.get_timeline_entry(conn, plaza, unit, event_id)
        if row is None:
            raise NotFound(f"event {event_id!r} is not on the timeline of unit {unit!r}", field="event_id")
        return TimelineEntry(**msgspec.structs.asdict(_item(row)), event=row["event"])
