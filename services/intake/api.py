"""Intake's HTTP API: translate bodies to use cases and back, nothing more.
(Move-in season's routes are in api_movein.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, Parameter

from libs.contracts.common import Channel
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.intake import domain, services, store
from services.intake.services import RequestAccepted, RequestCreate


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


def _view(row) -> RequestView:
    contact = None
    if row["contact_name"] or row["contact_phone"]:
        contact = {"name": row["contact_name"], "phone": row["contact_phone"]}
    return RequestView(
        id=row["id"], plaza_id=row["plaza_id"], unit=row["unit"], channel=row["channel"],
        kind=row["kind"], kind_reason=row["kind_reason"], severity=row["severity"],
        severity_reason=row["severity_reason"], praised_department=row["praised_department"],
        text=row["text"], contact=contact, serviceable=row["serviceable"], referral=row["referral"],
        major=row["major"], status=row["status"], received_by=row["received_by"],
        received_at=iso(row["received_at"]), source_department=row["source_department"],
    )


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
    return Page(items=items, next=items[-1].id if len(items) == limit else None)


class RequestController(Controller):
    path = "/v1/plazas/{plaza:str}/requests"

    @post("/", status_code=202)
    async def create(
        self,
        plaza: FromPath[str],
        data: RequestCreate,
        runtime: Runtime,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> RequestAccepted:
        plaza_token(plaza)
        if idempotency_key is None:
            return await services.receive_request_published(runtime, plaza, data, actor=actor)
        return await runtime.grouped(
            services.receive_request, plaza, data, actor=actor, idempotency_key=idempotency_key
        )

    @get("/{request_id:str}")
    async def show(self, plaza: FromPath[str], request_id: FromPath[str], runtime: Runtime) -> RequestView:
        async with runtime.read() as conn:
            row = await store.get_request(conn, plaza, request_id)
        row = row or services.published_not_stored.get(request_id)
        if row is None or row["plaza_id"] != plaza:
            raise NotFound(f"request {request_id!r} not found in plaza {plaza!r}", field="id")
        return _view(row)

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        unit: str | None = None,
        kind: domain.Kind | None = None,
        channel: Channel | None = None,
        status: Literal["received", "referred"] | None = None,
        severity: domain.Severity | None = None,
        major: bool | None = None,
        since: dt.datetime | None = Parameter(query="since", default=None, description="received at or after (UTC)"),
        until: dt.datetime | None = Parameter(query="until", default=None, description="received before (UTC)"),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        filters = dict(unit=unit, kind=kind, channel=channel, status=status, severity=severity, major=major)
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

    @get("/classification-rules")
    async def classification(self, plaza: FromPath[str], runtime: Runtime) -> ClassificationRulesView:
        return await self._show(runtime, plaza, services.CLASSIFICATION, ClassificationRulesView)

    @put("/classification-rules")
    async def set_classification(
        self, plaza: FromPath[str], data: domain.ClassificationRules, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> ClassificationRulesView:
        return await self._set(runtime, plaza, services.CLASSIFICATION, data, actor, ClassificationRulesView)

    @get("/referrals")
    async def referrals(self, plaza: FromPath[str], runtime: Runtime) -> ReferralDirectoryView:
        return await self._show(runtime, plaza, services.REFERRALS, ReferralDirectoryView)

    @put("/referrals")
    async def set_referrals(
        self, plaza: FromPath[str], data: domain.ReferralDirectory, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> ReferralDirectoryView:
        return await self._set(runtime, plaza, services.REFERRALS, data, actor, ReferralDirectoryView)

    async def _show(self, runtime: Runtime, plaza: str, name: str, view_type):
        plain, default = _PLAIN[name]
        async with runtime.read() as conn:
            document, provenance = await services.rules_document(conn, plaza, name, plain, default)
        return _merge(view_type, document, provenance)

    async def _set(self, runtime: Runtime, plaza: str, name: str, data, actor: str, view_type):
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services.set_rules(tx, plaza, name, data, actor=actor)
        services.forget_rules(tx.conn, plaza)  # again after commit: no reader cached the old
        return await self._show(runtime, plaza, name, view_type)


_PLAIN = {
    services.CLASSIFICATION: (domain.ClassificationRules, domain.DEFAULT_RULES),
    services.REFERRALS: (domain.ReferralDirectory, domain.DEFAULT_REFERRALS),
}
