"""Archive's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.contracts.events import Occupant, UnitContact
from libs.runtime.errors import NotFound
from libs.runtime.http import PLAZA_MAY_BE_NEW, Page, iso
from libs.runtime.service import Runtime
from services.archive import domain, services, store, store_projections
from services.archive.services import BadField, PlazaUpdate, UnitUpdate
from services.archive.services_documents import Upload


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
    building: str | None = None
    floor: str | None = None
    contacts: list[UnitContact] = []
    handover_date: str | None = None
    occupancy_date: str | None = None
    contract_start: str | None = None
    contract_end: str | None = None
    revision: int
    created_at: str
    updated_at: str


class PermitView(msgspec.Struct, kw_only=True):
    permit_id: str
    status: str
    valid_from: str | None
    valid_until: str | None
    deposit_fen: int | None
    deduction_fen: int | None


class DefectView(msgspec.Struct, kw_only=True):
    defect_id: str
    description: str
    location: str | None
    responsible_party: str
    department: str
    found_at: str
    work_order_id: str | None


class UnitDetail(UnitView, kw_only=True):
    """One unit with what other services' events say about it."""

    renovation_permits: list[PermitView]
    outstanding_defects: list[DefectView]


class RevisionView(msgspec.Struct, kw_only=True):
    revision: int
    who: str
    when: str
    event_id: str
    changes: list[domain.Change]
    before: dict | None
    after: dict


def _plaza(row) -> PlazaView:
    return PlazaView(plaza_id=row["plaza_id"], name=row["name"], timezone=row["timezone"],
                     created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]))


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _unit_fields(row) -> dict:
    return dict(
        plaza_id=row["plaza_id"], unit=row["unit"], area_m2=row["area_m2"], use=row["use"],
        occupant=Occupant(name=row["occupant_name"], kind=row["occupant_kind"], phone=row["occupant_phone"]),
        key_account=row["key_account"], building=row["building"], floor=row["floor"],
        contacts=[UnitContact(**c) for c in row["contacts"] or []],
        **{k: _day(row[k]) for k in domain.DATE_FACTS},
        revision=row["revision"], created_at=iso(row["created_at"]), updated_at=iso(row["updated_at"]),
    )


def _unit(row) -> UnitView:
    return UnitView(**_unit_fields(row))


def _permit(row) -> PermitView:
    return PermitView(permit_id=row["permit_id"], status=row["status"], valid_from=_day(row["valid_from"]),
                      valid_until=_day(row["valid_until"]), deposit_fen=row["deposit_fen"], deduction_fen=row["deduction_fen"])


def _defect(row) -> DefectView:
    return DefectView(defect_id=row["defect_id"], description=row["description"], location=row["location"],
                      responsible_party=row["responsible_party"], department=row["department"],
                      found_at=iso(row["found_at"]), work_order_id=row["work_order_id"])


async def read_upload(request: Request, *, kind: str | None, filename: str | None) -> Upload:
    """A multipart form (``file`` plus ``kind``/``filename`` fields) or a raw body with
    ``?filename=&kind=`` and its own Content-Type."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return Upload(filename=filename, content_type=content_type or None, data=await request.body(), kind=kind)
    form = await request.form()
    part = form.get("file")
    if part is None or isinstance(part, str):
        raise BadField("the form has no file part named 'file'", field="file")
    return Upload(filename=form.get("filename") or part.filename or filename, content_type=part.content_type,
                  data=await part.read(), kind=form.get("kind") or kind)


def _revision(row) -> RevisionView:
    return RevisionView(revision=row["revision"], who=row["who"], when=iso(row["changed_at"]),
                        event_id=row["event_id"], changes=domain.diff(row["before"], row["after"]),
                        before=row["before"], after=row["after"])


def _saved(saved: services.Saved, view) -> Response:
    return Response(view(saved.row), status_code=201 if saved.created else 200)


class PlazaController(Controller):
    path = "/v1/plazas"

    @put("/{plaza:str}", opt={PLAZA_MAY_BE_NEW: True})  # registers it, so it may be new
    async def register(
        self,
        plaza: FromPath[str],
        data: PlazaUpdate,
        runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[PlazaView]:
        validate_token(plaza, "plaza")
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
        validate_token(plaza, "plaza")
        validate_token(unit, "unit")
        async with runtime.transaction() as tx:
            saved = await services.register_unit(tx, plaza, unit, data, actor=actor, correlation_id=correlation_id)
        return _saved(saved, _unit)

    @get("/{unit:str}")
    async def show(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime) -> UnitDetail:
        async with runtime.read() as conn:
            row = await store.get_unit(conn, plaza, unit)
            if row is None:
                raise NotFound(f"unit {unit!r} is not registered in plaza {plaza!r}", field="unit")
            permits = await store_projections.list_permits(conn, plaza, unit)
            defects = await store_projections.outstanding_defects(conn, plaza, unit)
        return UnitDetail(**_unit_fields(row), renovation_permits=[_permit(p) for p in permits],
                          outstanding_defects=[_defect(d) for d in defects])

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
        # A revision number as handed out in "next": bounded to what the database stores (a
        # larger one was an OverflowError binding it, a 500).
        cursor: int | None = Parameter(query="cursor", default=None, ge=0, le=2**63 - 1),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            if await store.get_unit(conn, plaza, unit) is None:
                raise NotFound(f"unit {unit!r} is not registered in plaza {plaza!r}", field="unit")
            rows = await store.list_revisions(conn, plaza, unit, after=cursor, limit=limit + 1)
        items = [_revision(r) for r in rows[:limit]]
        return Page(items=items, next=str(items[-1].revision) if len(rows) > limit else None)
