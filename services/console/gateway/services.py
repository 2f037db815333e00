"""Calls to the services' public HTTP APIs, always with the signed-in person's token: the
console holds no rights of its own, so a page shows exactly what that person may see."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
import msgspec

from services.console.gateway.domain import FormRefused, Unavailable, UpstreamError, problem_of
from services.console.settings import UPSTREAMS, Settings


class Gateway:
    """One pooled HTTP client per upstream service, opened at start-up."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
        self.clients = {
            name: httpx.AsyncClient(base_url=settings.upstream(name), timeout=settings.upstream_timeout_s,
                                    limits=limits, transport=transport)
            for name in UPSTREAMS
        }

    def as_user(self, token: str | None, request_id: str | None = None, client: str | None = None) -> "Calls":
        return Calls(self, token, request_id, client)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


class Calls:
    """The calls of one request, made as its signed-in person."""

    def __init__(self, gateway: Gateway, token: str | None, request_id: str | None = None,
                 client: str | None = None) -> None:
        self.gateway = gateway
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if request_id:
            self.headers["X-Request-ID"] = request_id
        if client:
            # The person's address, not the console's: staff slows down failed logins and
            # survey limits link requests per client address (believed from the console's
            # address only: uvicorn's FORWARDED_ALLOW_IPS).
            self.headers["X-Forwarded-For"] = client

    async def response(self, service: str, method: str, path: str, *, json: Any = None, content: bytes | None = None,
                       params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """The raw answer (a file download); ``content``: a raw body (a file upload, its type
        in ``headers``) instead of JSON. Refusals raise UpstreamError."""
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        if json is not None:
            content, headers = msgspec.json.encode(json), {"content-type": "application/json", **(headers or {})}
        try:
            r = await self.gateway.clients[service].request(
                method, path, content=content, params=clean, headers={**self.headers, **(headers or {})})
        except httpx.TimeoutException:
            raise Unavailable(service, f"{service} did not answer in time") from None
        except httpx.TransportError as exc:
            raise Unavailable(service, f"{service} is not reachable ({type(exc).__name__})") from None
        if r.status_code >= 400:
            raise UpstreamError(service, r.status_code, problem_of(r.status_code, r.content))
        return r

    async def call(self, service: str, method: str, path: str, **kwargs) -> Any:
        r = await self.response(service, method, path, **kwargs)
        return msgspec.json.decode(r.content) if r.content else None

    async def get(self, service: str, path: str, **params) -> Any:
        return await self.call(service, "GET", path, params=params)

    async def get_or_none(self, service: str, path: str, **params) -> Any:
        """None for a 404 (a unit with no account yet, a visit not scheduled yet)."""
        try:
            return await self.get(service, path, **params)
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def post(self, service: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return await self.call(service, "POST", path, json={} if body is None else body, headers=headers)

    async def send_file(self, service: str, path: str, data: bytes, content_type: str, **params) -> Any:
        """A file as the raw body, its facts as query parameters (archive's documents and imports)."""
        return await self.call(service, "POST", path, content=data, params=params,
                               headers={"content-type": content_type or "application/octet-stream"})

    async def put(self, service: str, path: str, body: Any) -> Any:
        return await self.call(service, "PUT", path, json=body)


async def attempt(call: Awaitable[Any]) -> UpstreamError | None:
    """A form's call: None once it is done, else the refusal to show beside the form (the
    console's own, before asking, or the service's). A lapsed session (401) or a record that
    is gone (404) is raised: the app's pages answer those for the whole page."""
    try:
        await call
    except FormRefused as exc:
        return exc.problem()
    except UpstreamError as exc:
        if exc.status in (401, 404):
            raise
        return exc
    return None
