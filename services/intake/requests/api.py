"""Requests over HTTP: log one, read them back, and the plaza's keyword rules and referral
directory. Routes translate bodies to use cases and back, nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts.common import Channel
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, check_unit, own_unit, unit_filter
from services.intake.requests import domain, store
from services.intake.requests import services as requests
from services.intake.requests.services import PreviewAnswer, RequestAccepted, RequestCreate, RequestPreview

REQUEST_EXAMPLE = Example(
    summary="来电报修 / A phone call about a leak",
    value={"channel": "phone", "unit": "A-203", "text": "卫生间天花板漏水 / the bathroom ceiling is leaking",
           "contact": {"name": "李明", "phone": "13800138000"}, "received_by": "王芳"},
)
AREA_EXAMPLE = Example(
    summary="路人反映停车场路灯不亮，物业自己修 / A passer-by: a car park light is out; the plaza fixes it",
    value={"channel": "visit", "area": "car-park", "text": "停车场路灯不亮 / a light in the car park is out",
           "contact": {"name": "张先生", "phone": "13900139000"}, "serviceable": True, "department": "engineering",
           "reason": "停车场路灯属物业 / the car park's lights are the plaza's"},
)
RULES_EXAMPLE = Example(
    summary="本广场的关键词规则 / This plaza's keyword rules",
    value={"kinds": [{"kind": "complaint", "keywords": ["投诉", "complaint"]},
                     {"kind": "praise", "keywords": ["表扬", "thank"]}],
           "major_keywords": ["媒体", "律师", "media", "lawyer"], "minor_keywords": ["有点", "a bit"],
           "praise_departments": [{"department": "security", "keywords": ["保安", "guard"]}]},
)
REFERRALS_EXAMPLE = Example(
    summary="转介电话 / Where to send what the plaza cannot serve",
    value={"entries": [{"topic": "燃气公司 gas company", "phone": "96777", "keywords": ["燃气", "gas leak"]}]},
)


class Correction(msgspec.Struct, kw_only=True):
    at: str
    actor: str
    from_: dict = msgspec.field(name="from")
    to: dict
    reason: str


class RequestView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    unit: str
    channel: str
    kind: str
    kind_reason: str
    severity: str | None
    severity_reason: str | None
    praised_department: str | None
    text: str
    contact: dict | None
    serviceable: bool
    referral: str | None
    major: bool
    status: str
    received_by: str | None
    received_at: str
    source_department: str | None = None
    department: str | None = None
    department_chosen: bool = False
    area: str | None = None
    mixed_with: str | None = None
    referral_overruled: dict | None = None  # {"referral", "reason"}: what the clerk set aside at intake
    call: dict | None = None  # a phone request: {"rang_at", "answered_at", "greeting", "read_back"}
    corrections: list[Correction] = []


_AS_STORED = (
    "id", "plaza_id", "unit", "channel", "kind", "kind_reason", "severity", "severity_reason", "praised_department",
    "text", "serviceable", "referral", "major", "status", "received_by", "source_department", "department", "area",
    "mixed_with",
)


def _view(row, corrections=()) -> RequestView:
    contact = None
    if row["contact_name"] or row["contact_phone"]:
        contact = {"name": row["contact_name"], "phone": row["contact_phone"]}
    overruled = row["overruled_referral"]
    return RequestView(
        **{name: row[name] for name in _AS_STORED}, contact=contact, received_at=iso(row["received_at"]),
        department_chosen=bool(row["department_chosen"]),
        referral_overruled={"referral": overruled, "reason": row["overrule_reason"]} if overruled else None,
        call=_call(row),
        corrections=[Correction(at=iso(c["at"]), actor=c["actor"], from_=msgspec.json.decode(c["before"]),
                                to=msgspec.json.decode(c["after"]), reason=c["reason"]) for c in corrections],
    )


def _call(row) -> dict | None:
    if row.get("call_answered_at") is None:
        return None
    return {"rang_at": iso(row["call_rang_at"]), "answered_at": iso(row["call_answered_at"]),
            "greeting": bool(row["call_greeting"]), "read_back": bool(row["call_read_back"])}


def _utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A time without a zone in a query is taken as UTC, as every time in the API is."""
    if value is None:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999: no such instant in UTC
        raise InvalidInput(f"{field} is out of range", field=field) from None


def page(items: list, limit: int) -> Page:
    return Page.of(items, limit)


class RequestController(Controller):
    path = "/v1/plazas/{plaza:str}/requests"

    @post(
        "/", status_code=202,
        summary="登记报事 / Log a request",
        description="来电、来访、来信、网上留言或内部上报：按广场的关键词规则分类（报修、投诉、建议、表扬），"
        "投诉分级，表扬找出部门，广场不能处理的给出转介电话；交给派工。带 Idempotency-Key 时重发得到第一次的答复。\n\n"
        "A call, walk-in, letter, online message or internal report: classified by the plaza's keyword "
        "rules (service, complaint, suggestion, praise), a complaint graded, praise credited to its "
        "department, what the plaza cannot serve referred to who can; handed to dispatch as "
        "RequestReceived. With an Idempotency-Key a retry gets the first answer. An occupant's token "
        "logs requests for its own unit only (another unit: 404), always as channel online.\n\n"
        "客服可选定部门（department，派工按此派单）、驳回转介（serviceable: true，可附 reason）。"
        "不属于某个单元的报事填公共区域（area，见 public-areas），或都不填，此时须留联系人姓名和电话（contact）。"
        "既报修/投诉又表扬的留言记为两条（工单一条、表扬一条，互相关联），答复的 also 列出表扬那条；split: false 则不拆。\n\n"
        "The clerk may choose the department (`department`: dispatch routes there) and overrule a referral "
        "(`serviceable: true`, with an optional `reason`). A request about no unit names a public area "
        "(`area`, one of …/public-areas) or neither, and then needs the caller's `contact` with name and phone. "
        "A message that asks for a repair or complains and also thanks someone becomes two records, the job and "
        "a praise record pointing at each other; `also` in the answer names the praise record "
        "(`split: false` keeps it one).",
    )
    async def create(
        self,
        plaza: FromPath[str],
        data: Annotated[RequestCreate, Body(examples=[REQUEST_EXAMPLE, AREA_EXAMPLE])],
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None),
        actor: str = ACTOR,
        principal: Principal | None = PRINCIPAL,
    ) -> RequestAccepted:
        plaza_token(plaza)
        own = own_unit(principal, plaza)
        if own is not None:
            check_unit(principal, plaza, data.unit or own)
            data = requests.as_occupant(data, own)
        if idempotency_key is None:
            return await requests.receive_request_published(runtime, plaza, data, actor=actor)
        return await runtime.grouped(
            requests.receive_request, plaza, data, actor=actor, idempotency_key=idempotency_key
        )

    @post(
        "/preview", status_code=200,
        summary="预判报事 / Preview what a request would be",
        description="客服录入时调用：按当前文字给出类别、等级、是否重大、建议部门、优先级、是否转介及混合内容的其他类别，"
        "并说明理由；不登记，无副作用。\n\n"
        "Called while the clerk types: the kind, severity, major flag, proposed department, priority, "
        "referral and the other kinds of a mixed message that logging this text would decide, with "
        "the reasons. Logs nothing.",
    )
    async def preview(self, plaza: FromPath[str], data: RequestPreview, runtime: Runtime,
                      principal: Principal | None = PRINCIPAL) -> PreviewAnswer:
        plaza_token(plaza)
        if data.unit and own_unit(principal, plaza) is not None:
            check_unit(principal, plaza, data.unit)
        return await requests.preview_request(runtime, plaza, data)

    @get("/{request_id:str}", summary="查看报事 / Show a request",
         description="一条报事及其分类理由、被驳回的转介，以及登记后的每次更正（何时、何人、从何改为何、理由）。\n\n"
         "One request with the reasons for its kind and severity, a referral the clerk overruled, and every "
         "correction since it was received (when, by whom, from what to what, why), oldest first.")
    async def show(self, plaza: FromPath[str], request_id: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL) -> RequestView:
        async with runtime.read() as conn:
            row = await store.get_request(conn, plaza, request_id)
            corrections = await store.list_corrections(conn, plaza, request_id) if row else ()
        row = row or requests.published_not_stored.get(request_id)
        own = own_unit(principal, plaza)
        # Another unit's request is, to an occupant, word for word one that does not exist.
        if row is None or row["plaza_id"] != plaza or own not in (None, row["unit"]):
            raise NotFound(f"request {request_id!r} not found in plaza {plaza!r}", field="id")
        return _view(row, corrections)

    @get("/", summary="报事列表 / List the requests",
         description="按登记顺序，可按单元、公共区域、类别、渠道、状态、等级、是否重大、登记时间筛选，分页。\n\n"
         "Oldest first, filtered by unit, public area, kind, channel, status, severity, major and time received, "
         "a page at a time. "
         "An occupant's token lists its own unit's requests only.")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        unit: str | None = Parameter(query="unit", default=None, description="the unit; \"\" for requests naming none"),
        area: str | None = Parameter(query="area", default=None, description="a public area's id"),
        kind: domain.Kind | None = None,
        channel: Channel | None = None,
        status: Literal["received", "referred"] | None = None,
        severity: domain.Severity | None = None,
        major: bool | None = None,
        since: dt.datetime | None = Parameter(query="since", default=None, description="received at or after (UTC)"),
        until: dt.datetime | None = Parameter(query="until", default=None, description="received before (UTC)"),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
        principal: Principal | None = PRINCIPAL,
    ) -> Page:
        unit = unit_filter(principal, plaza, unit)
        filters = dict(unit=unit, area=area, kind=kind, channel=channel, status=status, severity=severity, major=major)
        async with runtime.read() as conn:
            rows = await store.list_requests(
                conn, plaza, after=cursor, limit=limit, since=_utc(since, "since"), until=_utc(until, "until"), **filters
            )
        return page([_view(r) for r in rows], limit)


class ClassificationRulesView(domain.ClassificationRules, frozen=True, kw_only=True):
    source: Literal["default", "plaza"]
    updated_by: str | None = None
    updated_at: str | None = None


class ReferralDirectoryView(domain.ReferralDirectory, frozen=True, kw_only=True):
    source: Literal["default", "plaza"]
    updated_by: str | None = None
    updated_at: str | None = None


def _merge(view_type, document, provenance):
    return view_type(**msgspec.structs.asdict(document), **msgspec.structs.asdict(provenance))


class RulesController(Controller):
    """Per-plaza keyword rules and referral directory; a plaza with none uses the defaults."""

    path = "/v1/plazas/{plaza:str}"

    @get("/classification-rules", summary="分类规则 / Classification rules",
         description="广场的关键词规则（未设置时为默认规则），以及谁何时设置的。\n\n"
         "The plaza's keyword rules (the defaults until it sets its own), and who set them when.")
    async def classification(self, plaza: FromPath[str], runtime: Runtime) -> ClassificationRulesView:
        return await self._show(runtime, plaza, requests.CLASSIFICATION, ClassificationRulesView)

    @put(
        "/classification-rules", summary="设置分类规则 / Set the classification rules",
        description="替换广场的关键词规则；按顺序，第一条匹配的规则决定类别。几秒内所有副本生效。\n\n"
        "Replaces the plaza's keyword rules; in order, the first rule that matches decides the kind. "
        "Every replica uses them within seconds.",
    )
    async def set_classification(
        self, plaza: FromPath[str], data: Annotated[domain.ClassificationRules, Body(examples=[RULES_EXAMPLE])],
        runtime: Runtime, actor: str = ACTOR,
    ) -> ClassificationRulesView:
        return await self._set(runtime, plaza, requests.CLASSIFICATION, data, actor, ClassificationRulesView)

    @get("/referrals", summary="转介目录 / Referral directory",
         description="广场不能处理的事该找谁（未设置时为默认目录）。\n\n"
         "Who to call for what the plaza cannot serve (the defaults until it sets its own).")
    async def referrals(self, plaza: FromPath[str], runtime: Runtime) -> ReferralDirectoryView:
        return await self._show(runtime, plaza, requests.REFERRALS, ReferralDirectoryView)

    @put("/referrals", summary="设置转介目录 / Set the referral directory",
         description="替换广场的转介目录。\n\nReplaces the plaza's referral directory.")
    async def set_referrals(
        self, plaza: FromPath[str], data: Annotated[domain.ReferralDirectory, Body(examples=[REFERRALS_EXAMPLE])],
        runtime: Runtime, actor: str = ACTOR,
    ) -> ReferralDirectoryView:
        return await self._set(runtime, plaza, requests.REFERRALS, data, actor, ReferralDirectoryView)

    async def _show(self, runtime: Runtime, plaza: str, name: str, view_type):
        plain, default = _PLAIN[name]
        async with runtime.read() as conn:
            document, provenance = await requests.rules_document(conn, plaza, name, plain, default)
        return _merge(view_type, document, provenance)

    async def _set(self, runtime: Runtime, plaza: str, name: str, data, actor: str, view_type):
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            provenance = await requests.set_rules(tx, plaza, name, data, actor=actor)
        requests.forget_rules(tx.conn, plaza)  # again after commit: no reader cached the old
        return _merge(view_type, data, provenance)


_PLAIN = {
    requests.CLASSIFICATION: (domain.ClassificationRules, domain.DEFAULT_RULES),
    requests.REFERRALS: (domain.ReferralDirectory, domain.DEFAULT_REFERRALS),
}
