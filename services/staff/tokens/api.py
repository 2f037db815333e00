"""The public routes of logging in: the token endpoint and the published keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.spec import Example
from litestar.params import Body

from libs.runtime.http import Problem
from libs.runtime.service import Runtime
from services.staff.tokens import services as tokens
from services.staff.tokens.services import TokenIssued, TokenRequest

LOGIN_EXAMPLE = Example(summary="登录 / Log in", value={"username": "operator", "password": "…"})
REFRESH_EXAMPLE = Example(summary="续期 / Refresh", value={"grant_type": "refresh_token", "refresh_token": "…"})
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
        "seconds, at most 15 minutes), answered 429 with Retry-After meanwhile.",
    )
    async def token(
        self, data: Annotated[TokenRequest, Body(examples=[LOGIN_EXAMPLE, REFRESH_EXAMPLE])], request: Request,
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
