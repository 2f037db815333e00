"""The console's calls to the services: as the signed-in person (their token), for the
person's address, and a refusal kept whole so the page can show its field."""

from __future__ import annotations

import httpx
import pytest

from services.console.gateway.domain import Unavailable, UpstreamError
from services.console.gateway.services import Gateway
from services.console.settings import Settings


def gateway(handler) -> Gateway:
    return Gateway(Settings(auth_jwks_file="unused.json"), transport=httpx.MockTransport(handler))


async def test_a_call_carries_the_persons_token_and_address():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(200, json={"items": [], "next": None})

    calls = gateway(handler).as_user("tok", "req-1", "10.0.0.7")
    assert await calls.get("dispatch", "/v1/plazas/p1/work-orders", status="created", unit=None) == {"items": [], "next": None}
    assert seen["authorization"] == "Bearer tok"
    assert seen["x-forwarded-for"] == "10.0.0.7" and seen["x-request-id"] == "req-1"


async def test_a_refusal_names_its_field_and_a_silent_service_is_unavailable():
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"title": "Unprocessable", "detail": "amount_fen must be positive",
                                         "field": "amount_fen"}, headers={"content-type": "application/problem+json"})

    with pytest.raises(UpstreamError) as refused:
        await gateway(refuse).as_user("tok").post("billing", "/v1/plazas/p1/accounts/A-1/payments", {"amount_fen": 0})
    assert (refused.value.status, refused.value.field, refused.value.detail) == (422, "amount_fen", "amount_fen must be positive")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(Unavailable) as unavailable:
        await gateway(down).as_user("tok").get("survey", "/v1/plazas/p1/visits")
    assert unavailable.value.status == 503 and "survey" in unavailable.value.detail
