"""The occupant's side: their unit's notices (the console's occupant page), reading one
there, and the signed read link that needs no login (rate-limited per client address)."""

from __future__ import annotations

import time

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath

from libs.contracts import validate_token
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, check_unit
from libs.runtime.http import Page, Problem, plaza_token
from libs.runtime.service import Runtime
from services.notices.delivery import domain
from services.notices.notices import services as notices
from services.notices.notices.services import UnitNoticeView

LIMITER = "notice_link_limiter"


def rate_limited(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    limiter = connection.app.state.get(LIMITER)
    if limiter is None:
        limiter = connection.app.state[LIMITER] = domain.RateLimiter(30)
    wait = limiter.take(connection.client.host if connection.client else "", time.monotonic())
    if wait:
        raise Problem(429, "Too Many Requests", f"too many notice link requests from this address; retry in {wait} s",
                      headers={"Retry-After": str(wait)})


class UnitNoticeController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/notices"
    tags = ["notices"]

    @get("/", summary="单元的通知 / A unit's notices",
         description="送达该单元的通知，最新在前，含是否已读；业户只能看自己的单元。\n\n"
                     "The notices delivered to the unit, newest first, read or not; an occupant sees "
                     "their own unit only.")
    async def index(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime,
                    principal: Principal | None = PRINCIPAL) -> Page:
        validate_token(unit, "unit")
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            return Page(items=await notices.unit_notices(conn, plaza, unit))

    @post("/{notice_id:str}/read", status_code=200, summary="标记已读 / Mark read",
          description="业户在控制台打开通知即记为已读（首次发出 NoticeRead）。\n\n"
                      "The occupant opened the notice in the console: read (NoticeRead, the first time).")
    async def read(self, plaza: FromPath[str], unit: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL, actor: str = ACTOR) -> UnitNoticeView:
        plaza_token(plaza)
        validate_token(unit, "unit")
        check_unit(principal, plaza, unit)
        async with runtime.transaction() as tx:
            return await notices.read_notice(tx, plaza, notice_id, unit, via="console", actor=actor)


class NoticeLinkController(Controller):
    """The recipient's no-login link: the signed token is the only credential."""

    path = "/v1/plazas/{plaza:str}/notice-links/{token:str}"
    tags = ["notices"]
    guards = [rate_limited]

    @get("/", summary="打开通知链接 / Open a notice link",
         description="收件单元打开签名链接即看到通知并记为已读；篡改或他广场的链接 403，同一地址过频 429。\n\n"
                     "The recipient opens the signed link: the notice, now marked read. An altered or "
                     "another plaza's link answers 403; too many requests from one address 429.")
    async def open(self, plaza: FromPath[str], token: FromPath[str], runtime: Runtime) -> UnitNoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.read_by_link(tx, plaza, token, secret=runtime.settings.link_secret)
