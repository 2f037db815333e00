"""The unit register over HTTP: plazas, units with their revisions, and the register in bulk
(import from CSV/.xlsx with a dry run, export to .xlsx). Routes only translate."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.params import Body, FromPath, Parameter

from libs.contracts import validate_token
from libs.contracts.events import Occupant, UnitContact
from libs.runtime import export, limits
from libs.runtime.errors import NotFound
from libs.runtime.http import PLAZA_MAY_BE_NEW, Page, iso
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal
from services.archive.register import domain, store
from services.archive.register import services as register
from services.archive.register.services import BadField, ImportReport, PlazaUpdate, UnitUpdate

CORRELATION_ID = Parameter(header="X-Correlation-Id", default=None)
CURSOR = Parameter(query="cursor", default=None)
LIMIT = Parameter(query="limit", default=100, ge=1, le=500)

PLAZA_EXAMPLE = Example(summary="登记万达广场 / Register a plaza",
                        value={"name": "万达广场 Wanda Plaza", "timezone": "Asia/Shanghai"})
UNIT_EXAMPLE = Example(
    summary="登记商铺 A-203 / Register shop A-203",
    value={"area_m2": 86.5, "use": "shop", "occupant": {"name": "李明", "kind": "merchant", "phone": "13800138000"},
           "key_account": False, "building": "A", "floor": "2",
           "contacts": [{"name": "王芳", "relation": "spouse", "phone": "13900139000"}],
           "handover_date": "2026-03-01", "contract_start": "2026-03-01", "contract_end": "2029-02-28"},
)


@dataclass  # so that its __post_init__ runs
class ImportUpload(Operation):
    """The import's body as OpenAPI shows it: a multipart ``file`` (or the raw file)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(type="object", properties={"file": Schema(type="string", format="binary")}, required=["file"]),
                examples={"register": Example(summary="登记表 / A register spreadsheet",
                                              value={"file": "units.xlsx (房号,面积,用途,业户,业户类型 …)"})}),
            "text/csv": OpenAPIMediaType(
                schema=Schema(type="string"),
                examples={"csv": Example(summary="CSV 登记表 / A CSV register",
                                         value="房号,面积,用途,业户,业户类型\nA-203,86.5,商铺,李明,商户\n")}),
        })


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


def _revision(row) -> RevisionView:
    return RevisionView(revision=row["revision"], who=row["who"], when=iso(row["changed_at"]),
                        event_id=row["event_id"], changes=domain.diff(row["before"], row["after"]),
                        before=row["before"], after=row["after"])


def _saved(saved: register.Saved, view) -> Response:
    return Response(view(saved.row), status_code=201 if saved.created else 200)


async def _file(request: Request) -> bytes:
    """A multipart form's ``file`` part, or the raw file as the body."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    part = (await request.form()).get("file")
    if part is None or isinstance(part, str):
        raise BadField("the form has no file part named 'file'", field="file")
    return await part.read()


class PlazaController(Controller):
    path = "/v1/plazas"

    @put(
        "/{plaza:str}", opt={PLAZA_MAY_BE_NEW: True},  # registers it, so it may be new
        summary="登记或修改广场 / Register or update a plaza",
        description="登记广场（201）或修改名称、时区（200）；内容未变则什么也不做。发出 PlazaRegistered。\n\n"
        "Registers the plaza (201) or updates its name and time zone (200); the same body again "
        "changes nothing. Announces PlazaRegistered.",
    )
    async def register(
        self, plaza: FromPath[str], data: Annotated[PlazaUpdate, Body(examples=[PLAZA_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR, correlation_id: str | None = CORRELATION_ID,
    ) -> Response[PlazaView]:
        validate_token(plaza, "plaza")
        async with runtime.transaction() as tx:
            saved = await register.register_plaza(tx, plaza, data, actor=actor, correlation_id=correlation_id)
        return _saved(saved, _plaza)

    @get("/{plaza:str}", summary="查看广场 / Show a plaza",
         description="广场的名称与时区。\n\nThe plaza's name and time zone.")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> PlazaView:
        async with runtime.read() as conn:
            row = await store.get_plaza(conn, plaza)
        if row is None:
            raise NotFound(f"plaza {plaza!r} is not registered", field="plaza")
        return _plaza(row)

    @get("/", summary="广场列表 / List the plazas",
         description="已登记的广场，按 id 排序，分页。\n\nThe registered plazas by id, a page at a time.")
    async def index(self, runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT,
                    principal: Principal | None = PRINCIPAL) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_plazas(conn, after=cursor, limit=limit + 1)
        # Only the plazas the caller holds: a token never learns of another plaza (a page may
        # then hold fewer than ``limit``; ``next`` still pages on).
        items = [_plaza(r) for r in rows[:limit] if principal is None or principal.holds(r["plaza_id"])]
        return Page(items=items, next=rows[limit - 1]["plaza_id"] if len(rows) > limit else None)


class UnitController(Controller):
    path = "/v1/plazas/{plaza:str}/units"

    @put(
        "/{unit:str}",
        summary="登记或修改单元 / Register or update a unit",
        description="登记单元（201）或修改其档案（200，新的修订号）；省略的可选项保持原值，显式 null 清除。"
        "每次修订记入审计，发出 UnitRegistered，并记上单元时间线。\n\n"
        "Registers the unit (201) or updates its facts (200, the next revision); an optional fact "
        "left out keeps its value, an explicit null clears it. Every revision is audited, announced "
        "as UnitRegistered and filed on the unit's timeline.",
    )
    async def register(
        self, plaza: FromPath[str], unit: FromPath[str], data: Annotated[UnitUpdate, Body(examples=[UNIT_EXAMPLE])],
        runtime: Runtime, actor: str = ACTOR, correlation_id: str | None = CORRELATION_ID,
    ) -> Response[UnitView]:
        validate_token(plaza, "plaza")
        validate_token(unit, "unit")
        async with runtime.transaction() as tx:
            saved = await register.register_unit(tx, plaza, unit, data, actor=actor, correlation_id=correlation_id)
        return _saved(saved, _unit)

    @get(
        "/{unit:str}",
        summary="查看单元 / Show a unit",
        description="单元档案，连同其他服务事件所说的：装修许可证、尚未修好的交房缺陷。\n\n"
        "The unit's facts with what other services' events say about it: its renovation permits and "
        "the handover defects whose warranty work order has not closed.",
    )
    async def show(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime) -> UnitDetail:
        async with runtime.read() as conn:
            row = await register.require_unit(conn, plaza, unit)
            permits = await store.list_permits(conn, plaza, unit)
            defects = await store.outstanding_defects(conn, plaza, unit)
        return UnitDetail(**_unit_fields(row), renovation_permits=[_permit(p) for p in permits],
                          outstanding_defects=[_defect(d) for d in defects])

    @get("/", summary="单元列表 / List the units",
         description="广场已登记的单元，按单元号排序，分页；q 按单元号开头、业户名或电话的一部分查找（不分大小写）。\n\n"
         "The plaza's registered units by number, a page at a time; ``q`` finds units whose number "
         "starts with it, or whose occupant's name or phone contains it, whatever the letter case.")
    async def index(self, plaza: FromPath[str], runtime: Runtime, cursor: str | None = CURSOR, limit: int = LIMIT,
                    q: str | None = Parameter(query="q", default=None, max_length=100)) -> Page:
        async with runtime.read() as conn:
            await register.require_plaza(conn, plaza)
            rows = await store.list_units(conn, plaza, after=cursor, limit=limit + 1, q=(q or "").strip() or None)
        items = [_unit(r) for r in rows[:limit]]
        return Page(items=items, next=items[-1].unit if len(rows) > limit else None)

    @get(
        "/{unit:str}/revisions",
        summary="单元修订记录 / A unit's revisions",
        description="档案的审计记录：每次修订的修改人、时间、改了哪些字段及前后值，分页。\n\n"
        "The audit trail of the unit's facts: who changed what when, field by field, before and after.",
    )
    async def revisions(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        # A revision number as handed out in "next": bounded to what the database stores (a
        # larger one was an OverflowError binding it, a 500).
        cursor: int | None = Parameter(query="cursor", default=None, ge=0, le=2**63 - 1),
        limit: int = LIMIT,
    ) -> Page:
        async with runtime.read() as conn:
            await register.require_unit(conn, plaza, unit)
            rows = await store.list_revisions(conn, plaza, unit, after=cursor, limit=limit + 1)
        items = [_revision(r) for r in rows[:limit]]
        return Page(items=items, next=str(items[-1].revision) if len(rows) > limit else None)

    @post(
        "/import", request_max_body_size=limits.IMPORT_MAX, operation_class=ImportUpload,
        summary="批量导入单元档案 / Import the unit register",
        description="从 CSV（UTF-8 或 GB18030）或 .xlsx 导入整个登记表（multipart 的 file，或文件本身作请求体）；"
        "表头可用中文（房号、面积、用途、业户…）。有问题的行连同行号和原因列在报告里，其余行在一个事务里全部导入；"
        "dry_run=true 只检查不修改。总是 200 并返回报告。\n\n"
        "Imports a whole register from CSV (UTF-8 or GB18030) or .xlsx: a multipart ``file`` or the "
        "raw file as the body; Chinese headers (房号, 面积, 用途, 业户 …) are understood. Refused rows are "
        "reported with their row number and reason; the others land together in one transaction. "
        "``dry_run=true`` checks and reports, changing nothing. 200 with the report either way.",
    )
    async def import_register(
        self, plaza: FromPath[str], request: Request, runtime: Runtime,
        dry_run: bool = Parameter(query="dry_run", default=False),
        actor: str = ACTOR, correlation_id: str | None = CORRELATION_ID,
    ) -> Response[ImportReport]:
        validate_token(plaza, "plaza")
        data = await _file(request)
        # Reading a big workbook is CPU work: keep the event loop (and the relay) running.
        parsed = await asyncio.to_thread(register.read_register, data)
        async with runtime.transaction() as tx:
            report = await register.import_units(tx, plaza, parsed, dry_run=dry_run, actor=actor,
                                                 correlation_id=correlation_id)
        return Response(report, status_code=200)

    @get("/export.xlsx", summary="导出单元档案 / Export the unit register",
         description="整个登记表的 .xlsx，列与导入所读的相同（导出再导入不变）；中文表头，lang=en 用英文列名。\n\n"
         "The whole register as .xlsx, in the columns an import reads back unchanged; Chinese "
         "headers, lang=en for the English column names.")
    async def export_register(self, plaza: FromPath[str], runtime: Runtime,
                              lang: str = Parameter(query="lang", default="zh")) -> Response[bytes]:
        lang = export.language(lang)
        async with runtime.read() as conn:
            await register.require_plaza(conn, plaza)
            rows = await store.all_units(conn, plaza)
        data = await asyncio.to_thread(register.export_register, rows, lang)
        return Response(data, media_type=register.XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{plaza}-units.xlsx"'})
