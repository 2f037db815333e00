"""The public routes of logging in (the token endpoint, the published keys) and the desk's
route that gives an occupant a one-time link to their unit's pages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.auth import ACTOR
from libs.runtime.http import Problem, plaza_token
from libs.runtime.service import Runtime
from services.staff.tokens import services as tokens
from services.staff.tokens.services import LinkCreate, LinkIssued, TokenIssued, TokenRequest

LOGIN_EXAMPLE = Example(summary="登录 / Log in", value={"username": "operator", "password": "…"})
REFRESH_EXAMPLE = Example(summary="续期 / Refresh", value={"grant_type": "refresh_token", "refresh_token": "…"})
LINK_EXAMPLE = Example(summary="业户登录链接 / An occupant's link", value={"grant_type": "magic_link", "token": "…"})
ISSUE_EXAMPLE = Example(summary="给 A-203 业户发链接 / A link for the occupant of A-203",
                        value={"unit": "A-203", "phone": "13800138000"})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1


class TokenController(Controller):
    path = "/v1/token"

    @post(
        "/", status_code=200,
        summary="登录取令牌 / Log in for a token",
        description="用户名和密码换取访问令牌（JWT，EdDSA，默认 1 小时）和刷新令牌（默认 12 小时，只能用一次）；"
        "或以 grant_type refresh_token 用刷新令牌换一对新令牌。失败一律 401，不透露用户名是否存在；"
        "同一用户名或同一客户端地址连续失败 5 次后每次需等待（1、2、4… 秒，最长 15 分钟），期间 429 并带 Retry-After。\n\n"
        "A username and password for an access token (JWT, EdDSA, 1 hour by default) and a refresh "
        "token (12 hours, used once); or, with grant_type refresh_token, a refresh token for a new "
        "pair. Every failure is the same 401, never telling whether the username exists; after 5 "
        "failures in a row of one username or one client address each further try waits (1, 2, 4 … "
        "seconds, at most 15 minutes), answered 429 with Retry-After meanwhile.\n\n"
        "grant_type magic_link: an occupant's one-time link token (from the front desk) for an "
        "access token of role occupant at one plaza, limited to one unit (claim unit), 1 hour, no "
        "refresh token. A link works once; an expired, used or forged one is the same 401.",
    )
    async def token(
        self, data: Annotated[TokenRequest, Body(examples=[LOGIN_EXAMPLE, REFRESH_EXAMPLE, LINK_EXAMPLE])], request: Request,
        runtime: Runtime, state: State,
    ) -> Response[TokenIssued]:
        address = request.client.host if request.client else "unknown"
        try:
            issued = await tokens.token(runtime, state.keyring, data, address)
        except tokens.LoginFailed as exc:
            raise Problem(401, "Unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="plazadesk"'}) from None
        except tokens.SlowDown as exc:
            raise Problem(429, "Too Many Requests", str(exc), headers={"Retry-After": str(exc.retry_after_s)},
                          retry_after_s=exc.retry_after_s) from None
        return Response(issued, headers=NO_STORE)


class OccupantLinkController(Controller):
    path = "/v1/plazas/{plaza:str}/occupant-links"

    @post(
        "/", status_code=201,
        summary="业户登录链接 / A one-time link for an occupant",
        description="前台为某单元的业户生成一次性登录链接（默认 7 天内有效，最长 7 天，用一次即失效）；"
        "业户以 grant_type magic_link 换取只能看本单元报事、账户和回访的令牌。单元按前台所填为准（员工服务不保存单元档案），"
        "只校验其格式。令牌只显示这一次，只保存其哈希。\n\n"
        "The desk makes a one-time link for the occupant of a unit (valid 7 days by default, at most 7, "
        "used once); the occupant exchanges it at POST /v1/token (grant_type magic_link) for a token "
        "that sees only that unit's requests, account and return visits. The unit is taken as the clerk "
        "gives it (staff keeps no unit register; archive does), checked as an id only. The token is "
        "shown this once and kept only as its hash; the path carries it in the fragment.",
    )
    async def issue(
        self, plaza: FromPath[str], data: Annotated[LinkCreate, Body(examples=[ISSUE_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> Response[LinkIssued]:
        plaza_token(plaza)
        issued = await tokens.issue_link(runtime, plaza, data, actor=actor)
        return Response(issued, status_code=201, headers=NO_STORE)


class JwksController(Controller):
    path = "/.well-known/jwks.json"

    @get(
        "/",
        summary="公钥 / Signing keys (JWKS)",
        description="校验令牌所用的公钥（Ed25519，kid 为 RFC 7638 指纹）。各服务据此在本地校验，不逐次调用。\n\n"
        "The public keys tokens verify with (Ed25519, kid the RFC 7638 thumbprint). Services verify "
        "tokens locally with them, with no call per request.",
        cache_control=None,
    )
    async def jwks(self, state: State) -> Response[dict]:
        return Response(state.keyring.jwks(), headers={"Cache-Control": "public, max-age=300"},
                        media_type="application/json")
