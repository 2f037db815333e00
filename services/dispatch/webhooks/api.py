"""Webhooks over HTTP: a department's endpoint registered (its secret shown once), listed,
switched off; its deliveries with every attempt and answer; a delivery sent again by hand."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime import limits
from libs.runtime.auth import ACTOR
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.dispatch.webhooks import services as webhooks


class EndpointIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: limits.line(2000, min_length=1)
    department: limits.line(64, min_length=1)
    # Event types: the department's work orders' (none named: every one of those) and the
    # plaza's notices' (NoticePublished, only when named).
    events: Annotated[list[limits.line(64, min_length=1)], msgspec.Meta(max_length=20)] = []
    secret: limits.line(200, min_length=24) | None = None  # generated when not given


class EndpointView(msgspec.Struct, kw_only=True):
    id: str
    url: str
    department: str
    events: list[str]
    active: bool
    created_by: str
    created_at: str
    secret: str | None = None  # only in the answer to the registration


class AttemptView(msgspec.Struct, kw_only=True):
    attempt: int
    at: str
    status_code: int | None
    response: str | None
    duration_ms: int


class DeliveryView(msgspec.Struct, kw_only=True):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    redelivered_by: str | None
    attempts_made: list[AttemptView] = []


def _endpoint(row: dict, *, with_secret: bool = False) -> EndpointView:
    return EndpointView(id=row["id"], url=row["url"], department=row["department"], events=list(row["events"]),
                        active=row["active"], created_by=row["created_by"], created_at=iso(row["created_at"]),
                        secret=row["secret"] if with_secret else None)


def _delivery(row: dict) -> DeliveryView:
    return DeliveryView(
        id=row["id"], event_id=row["event_id"], event_type=row["event_type"], status=row["status"],
        attempts=row["attempts"], created_at=iso(row["created_at"]), next_attempt_at=iso(row["next_attempt_at"]),
        delivered_at=iso(row["delivered_at"]), redelivered_by=row["redelivered_by"],
        attempts_made=[AttemptView(attempt=a["attempt"], at=iso(a["at"]), status_code=a["status_code"],
                                   response=a["response"], duration_ms=a["duration_ms"])
                       for a in row.get("attempts_made", ())])


REGISTER_EXAMPLE = Example(
    summary="工程部的维修系统 / Engineering's maintenance system",
    value={"url": "https://eng.example.com/plazadesk/hooks", "department": "engineering",
           "events": ["WorkOrderCreated", "WorkOrderAssigned", "WorkOrderClosed"]},
)


class WebhooksController(Controller):
    path = "/v1/plazas/{plaza:str}/webhooks"

    @post("/", status_code=201, summary="登记部门系统的 Webhook / Register a department system's webhook",
          description="部门系统收不了 NATS 时，把它的工单事件（及所选的本广场通知发布）以签名的 HTTPS POST 推给它。"
          "密钥只在此应答中出现一次。\n\n"
          "For a department system that cannot hold a NATS connection: its work-order events (and, "
          "when it asks, the plaza's published notices) are POSTed to this HTTPS address, signed "
          "with HMAC-SHA256 (`PlazaDesk-Signature: t=…,v1=…`, docs/webhooks.md). The secret is "
          "shown in this answer only; events: the types wanted (none: every work-order event; "
          "`NoticePublished`: the plaza's notices, letters and warm tips as they go out).")
    async def register(self, plaza: FromPath[str], data: Annotated[EndpointIn, Body(examples=[REGISTER_EXAMPLE])],
                       runtime: Runtime, actor: str = ACTOR) -> EndpointView:
        plaza_token(plaza)
        async with runtime.db.write() as conn:
            row = await webhooks.register(conn, plaza, url=data.url, department=data.department, events=data.events,
                                          secret=data.secret, actor=actor,
                                          allow_http=runtime.settings.webhook_allow_http)
        return _endpoint(row, with_secret=True)

    @get("/", summary="Webhook 列表 / The plaza's webhooks")
    async def index(self, plaza: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            rows = await webhooks.store.endpoints(conn, plaza)
        return Page(items=[_endpoint(r) for r in rows])

    @delete("/{endpoint_id:str}", status_code=204, summary="停用 Webhook / Switch a webhook off")
    async def switch_off(self, plaza: FromPath[str], endpoint_id: FromPath[str], runtime: Runtime,
                         actor: str = ACTOR) -> None:
        async with runtime.db.write() as conn:
            await webhooks.deactivate(conn, plaza, endpoint_id, actor)

    @get("/{endpoint_id:str}/deliveries", summary="投递记录 / Deliveries and their answers",
         description="每次投递及每次尝试的应答（状态码、前 500 字、耗时），最新的在前。\n\n"
         "Each delivery with every attempt and its answer (status, first 500 characters, time), newest first.")
    async def deliveries(self, plaza: FromPath[str], endpoint_id: FromPath[str], runtime: Runtime,
                         status: Literal["pending", "delivered", "failed"] | None = None,
                         limit: int = Parameter(query="limit", default=100, ge=1, le=500)) -> Page:
        async with runtime.read() as conn:
            rows = await webhooks.deliveries(conn, plaza, endpoint_id, status=status, limit=limit)
        return Page(items=[_delivery(r) for r in rows])

    @post("/deliveries/{delivery_id:str}/redeliver", status_code=202, summary="重新投递 / Deliver again",
          description="立即再投一次（已送达的也可以：接收方要求重发），重新开始一天的重试。\n\n"
          "Sends it again now (a delivered one too, when the receiver asks for it), with a new day of retries.")
    async def redeliver(self, plaza: FromPath[str], delivery_id: FromPath[str], runtime: Runtime,
                        actor: str = ACTOR) -> DeliveryView:
        async with runtime.db.write() as conn:
            row = await webhooks.redeliver(conn, plaza, delivery_id, actor)
        return _delivery(row)
