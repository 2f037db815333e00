"""Intake's HTTP API: translate bodies to use cases and back, nothing more."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, Parameter

from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.intake import services, store
from services.intake.services import RequestAccepted, RequestCreate

import msgspec


class RequestView(msgspec.Struct, kw_only=True):
    id: str
    plaza_id: str
    unit: str
    channel: str
    kind: str
    kind_reason: str
    text: str
    contact: dict | None
    serviceable: bool
    referral: str | None
    major: bool
    status: str
    received_by: str | None
    received_at: str


def _view(row) -> RequestView:
    contact = None
    if row["contact_name"] or row["contact_phone"]:
        contact = {"name": row["contact_name"], "phone": row["contact_phone"]}
    return RequestView(
        id=row["id"], plaza_id=row["plaza_id"], unit=row["unit"], channel=row["channel"],
        kind=row["kind"], kind_reason=row["kind_reason"], text=row["text"], contact=contact,
        serviceable=row["serviceable"], referral=row["referral"], major=row["major"],
        status=row["status"], received_by=row["received_by"],
        received_at=iso(row["received_at"]),
    )


class RequestController(Controller):
    path = "/v1/plazas/{plaza:str}/requests"

    @post("/", status_code=202)
    async def create(
        self,
        plaza: FromPath[str],
        data: RequestCreate,
        runtime: Runtime,
        request: Request,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> RequestAccepted:
        plaza_token(plaza)
        return await runtime.grouped(
            services.receive_request, plaza, data, actor=actor, idempotency_key=idempotency_key
        )

    @get("/{request_id:str}")
    async def show(self, plaza: FromPath[str], request_id: FromPath[str], runtime: Runtime) -> RequestView:
        async with runtime.read() as conn:
            row = await store.get_request(conn, plaza, request_id)
        if row is None:
            raise NotFound(f"request {request_id!r} not found in plaza {plaza!r}", field="id")
        return _view(row)

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        unit: str | None = None,
        kind: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_requests(conn, plaza, unit=unit, kind=kind, after=cursor, limit=limit)
        items = [_view(r) for r in rows]
        return Page(items=items, next=items[-1].id if len(items) == limit else None)
