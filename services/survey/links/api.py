"""Survey-link routes: the clerk issues a link for a visit; the occupant opens it and
answers with no login (the signed token is the only credential)."""

from __future__ import annotations

import time
from typing import Annotated

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.http import Problem, plaza_token
from libs.runtime.service import Runtime
from services.survey.links import domain
from services.survey.links import services as links
from services.survey.links.services import LinkAnswered, LinkIssued, LinkQuestion
from services.survey.visits.services import ResponseCreate

LIMITER = "survey_link_limiter"  # the app state's token buckets (create_app sets the rate)

ONLINE_ANSWER_EXAMPLE = Example(
    summary="业户在线回答：不满意 / Answered online: unsatisfied",
    value={"rating": "unsatisfied", "reasons": ["not_fixed", "slow_response"], "comment": "水龙头还在滴水"},
)


def rate_limited(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The occupant's link routes take no login: a client address that asks too often
    (guessing tokens, scraping pages) is told to wait."""
    limiter = connection.app.state.get(LIMITER)
    if limiter is None:
        limiter = connection.app.state[LIMITER] = domain.RateLimiter(30)
    wait = limiter.take(connection.client.host if connection.client else "", time.monotonic())
    if wait:
        raise Problem(429, "Too Many Requests",
                      f"too many survey link requests from this address; retry in {wait} s",
                      headers={"Retry-After": str(wait)})


class LinkController(Controller):
    """Issued by the clerk (plaza-scoped); see SurveyLinkController for the occupant's side."""

    path = "/v1/plazas/{plaza:str}/visits/{visit_id:str}/link"

    @post(
        "/", status_code=201,
        summary="生成问卷链接 / Issue a survey link",
        description="为待回答的回访生成免登录问卷链接（HMAC 签名，有效期取广场调查政策的 link_ttl_hours）；"
        "已答复或免打扰的回访返回 409。\n\n"
        "Issues a no-login survey link for a visit waiting for its answer (HMAC-signed, living the "
        "plaza policy's link_ttl_hours); a visit answered or skipped answers 409.",
    )
    async def issue(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> LinkIssued:
        plaza_token(plaza)
        async with runtime.read() as conn:
            return await links.issue_link(
                conn, plaza, visit_id, secret=runtime.settings.link_secret,
                default_window_hours=runtime.settings.visit_window_hours,
            )


class SurveyLinkController(Controller):
    """The occupant's no-login page: the signed token is the only credential."""

    path = "/v1/plazas/{plaza:str}/survey-links/{token:str}"
    guards = [rate_limited]

    @get(
        "/",
        summary="打开问卷 / Open a survey link",
        description="业户打开链接看到的问题、可选评价和原因代码；只显示姓名首字（王*），不显示电话。"
        "篡改、他广场或声称有效期超过 30 天的链接 403，过期 410，已作答 409；同一地址每分钟超过限额 429。\n\n"
        "What the occupant sees on opening the link: the question, the ratings and the reason codes; "
        "of the occupant only the name's first character (王*), never the phone. An altered or "
        "another plaza's token, or one claiming to live over 30 days, answers 403, an expired one "
        "410, one that has answered 409; too many requests from one address 429 (Retry-After).",
    )
    async def show(self, plaza: FromPath[str], token: FromPath[str], runtime: Runtime) -> LinkQuestion:
        async with runtime.read() as conn:
            return await links.question(conn, plaza, token, secret=runtime.settings.link_secret)

    @post(
        "/", status_code=200,
        summary="在线作答 / Answer online",
        description="业户通过链接作答（渠道记为 online），发出 VisitCompleted；每个链接只能作答一次。"
        "篡改或他广场 403，过期 410，已答复或重放 409，超过限额 429。\n\n"
        "The occupant answers through the link (channel online), announcing VisitCompleted; a link "
        "answers once. An altered or another plaza's token answers 403, an expired one 410, an "
        "answered visit or a replayed link 409, too many requests 429.",
    )
    async def answer(
        self, plaza: FromPath[str], token: FromPath[str],
        data: Annotated[ResponseCreate, Body(examples=[ONLINE_ANSWER_EXAMPLE])], runtime: Runtime,
    ) -> LinkAnswered:
        async with runtime.transaction() as tx:
            return await links.answer_by_link(tx, plaza, token, data, secret=runtime.settings.link_secret)
