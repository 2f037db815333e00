"""The operations page's events set aside, as the operator uses them: every service's list
with its reasons (a service that does not answer said beside its name), one event whole, a
replay with what was fixed and a discard that asks why, each a call to the service with the
operator's own token. Nobody else gets the page."""

from __future__ import annotations

import json

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from libs.runtime.auth import Principal
from services.console.operations import api as operations_api
from services.console.operations import domain
from tests.support.console_pages import console_app

EVENT_ID = "0193b000-7c1e-7aa1-9c55-3f0e2b1d4a10"
EVENT = {"id": EVENT_ID, "type": "RequestReceived", "plaza_id": "p1", "unit": "A-203", "text": "天花板漏水"}
REASON = "event is 9000000 bytes; the NATS server takes at most 8388608 (max_payload)"


class Services:
    """The services' set-aside routes as the console meets them: intake holds one event,
    survey does not answer, the others hold none."""

    def __init__(self) -> None:
        self.held = {EVENT_ID: EVENT}
        self.calls: list[tuple[str, str, str, dict | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, f"{request.url.port}{path}", request.headers.get("authorization"), body))
        if request.url.port == 8004:  # survey
            raise httpx.ConnectError("refused")
        if request.url.port != 8001 or not path.startswith("/v1/ops/set-aside"):  # every other service: none
            return httpx.Response(200, json={"service": host, "items": []})
        rest = path.removeprefix("/v1/ops/set-aside").strip("/").split("/")
        if rest == [""]:
            return httpx.Response(200, json={"service": "intake", "items": [
                self._item(e) for e in self.held.values()]})
        event = self.held.get(rest[0])
        if event is None:
            return httpx.Response(404, json={"title": "Not found", "detail": f"no event {rest[0]} set aside",
                                             "field": "event_id"})
        if len(rest) == 1:
            return httpx.Response(200, json={**self._item(event), "service": "intake", "event": event})
        del self.held[rest[0]]
        return httpx.Response(200, json={"service": "intake", "event_id": rest[0], "action": rest[1],
                                         "actor": "ops-li", "reason": body["reason"]})

    @staticmethod
    def _item(event: dict) -> dict:
        return {"event_id": event["id"], "event_type": event["type"], "plaza_id": event["plaza_id"], "subject": "plazadesk.intake.p1.request.received",
                "failed_at": "2026-12-05T02:00:00Z", "created_at": "2026-12-05T01:59:59Z", "size": 9_000_000,
                "reason": REASON}


def console(services: Services, roles: set[str]) -> Litestar:
    return console_app(operations_api.ROUTES, services, Principal(sub="ops-li", name="李运维", roles=frozenset(roles)),
                       token="operator-token")


def test_the_operator_sees_an_event_set_aside_with_its_reason_and_replays_it():
    services = Services()
    with TestClient(console(services, {"operator"})) as client:
        page = client.get("/operations")
        assert page.status_code == 200
        assert "事件搁置" in page.text and f'id="set-aside-{EVENT_ID}"' in page.text
        assert "RequestReceived" in page.text and "max_payload" in page.text and "8.6 MB" in page.text
        assert "该服务没有应答" in page.text and "survey" in page.text  # survey away, the others listed
        asked = {(m, p) for m, p, _, _ in services.calls}
        assert ("GET", "8001/v1/ops/set-aside") in asked and ("GET", "8002/v1/ops/set-aside") in asked
        assert all(token == "Bearer operator-token" for _, _, token, _ in services.calls)

        shown = client.get(f"/operations/set-aside/intake/{EVENT_ID}")
        assert shown.status_code == 200 and "天花板漏水" in shown.text and "A-203" in shown.text

        refused = client.post(f"/operations/set-aside/intake/{EVENT_ID}/discard", data={"reason": " "})
        assert 'id="set-aside-needs-reason"' in refused.text
        assert not [c for c in services.calls if c[0] == "POST"]  # not asked without a reason

        replayed = client.post(f"/operations/set-aside/intake/{EVENT_ID}/replay",
                               data={"reason": "max_payload 已调到 16 MB"}, follow_redirects=False)
        assert replayed.status_code == 303
        assert ("POST", f"8001/v1/ops/set-aside/{EVENT_ID}/replay", "Bearer operator-token",
                {"reason": "max_payload 已调到 16 MB"}) in services.calls
        after = client.get(replayed.headers["location"])
        assert f'id="set-aside-{EVENT_ID}"' not in after.text and "没有搁置的事件" in after.text

        again = client.post(f"/operations/set-aside/intake/{EVENT_ID}/replay", data={"reason": "again"})
        assert 'id="set-aside-refused"' in again.text and "no event" in again.text
        assert client.get("/operations/set-aside/console/x").status_code == 404  # not a service with events


def test_nobody_but_the_operator_gets_the_events_set_aside():
    services = Services()
    with TestClient(console(services, {"supervisor", "auditor"})) as client:
        assert client.get("/operations").status_code in (401, 403)
        assert client.post(f"/operations/set-aside/intake/{EVENT_ID}/replay", data={"reason": "x"}).status_code in (401, 403)
    assert services.calls == []


def test_a_size_reads_as_an_operator_compares_it_with_max_payload():
    assert (domain.size_text(9_000_000), domain.size_text(2048), domain.size_text(80)) == ("8.6 MB", "2 KB", "80 B")
