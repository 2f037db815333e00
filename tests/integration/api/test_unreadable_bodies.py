"""Requests no service can read are 400 problems, never 500s: a JSON body nested deeper than
the decoder follows, an integer beyond 64 bits anywhere in a body, a cursor beyond 64 bits.
Every route that takes a JSON body is tried, read from the apps' route tables."""

from __future__ import annotations

import base64
import re

import pytest
from litestar import Litestar
from litestar.enums import RequestEncodingType

from five_services import SERVICES, clients  # noqa: F401  (clients: the fixture)
from tests.support.harness import eventually

PLAZA = "bodies-1"
NESTED = ("[" * 1000 + "]" * 1000).encode()
DEEP_OBJECT = ('{"a":' * 1000 + "1" + "}" * 1000).encode()


def json_body_routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            media = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON) if data else None
            if data is None or media != RequestEncodingType.JSON:
                continue
            path = re.sub(r"\{(\w+):(\w+)\}", lambda m: PLAZA if m[1] == "plaza" else
                          {"date": "2026-03-01"}.get(m[2], "x1"), route.path)
            found += [(method, path) for method in handler.http_methods - {"OPTIONS", "HEAD"}]
    return found


@pytest.fixture(scope="module")
async def registered(clients):
    r = await clients["archive"].put(f"/v1/plazas/{PLAZA}", json={"name": "Bodies", "timezone": "Asia/Shanghai"})
    assert r.status_code in (200, 201), r.text
    for service in ("intake", "dispatch", "billing", "survey"):
        client = clients[service]
        method, path = next((m, p) for m, p in json_body_routes(client.app) if PLAZA in p)

        async def past_the_plaza(client=client, method=method, path=path):
            r = await client.request(method, path, content=b"{}", headers={"content-type": "application/json"})
            return r.json().get("field") != "plaza" or None

        await eventually(past_the_plaza, what=f"{service} to learn plaza {PLAZA}")
    return clients


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("body", [NESTED, DEEP_OBJECT], ids=["nested-arrays", "nested-objects"])
async def test_a_body_nested_a_thousand_deep_is_a_400(registered, service, body):
    client = registered[service]
    routes = json_body_routes(client.app)
    assert routes
    for method, path in routes:
        r = await client.request(method, path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "nested too deeply" in r.json()["detail"]


@pytest.mark.parametrize("service", SERVICES)
async def test_an_integer_beyond_64_bits_in_a_body_is_a_400_naming_it(registered, service):
    client = registered[service]
    for method, path in json_body_routes(client.app):
        body = b'{"amount_fen": 1, "rates": {"shop": 3070407332221085024256}}'
        r = await client.request(method, path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, (method, path, r.status_code, r.text)
        assert r.json()["field"] == "rates.shop", (method, path, r.text)


async def test_a_revisions_cursor_beyond_64_bits_is_a_400_naming_it(registered):
    archive = registered["archive"]
    r = await archive.put(f"/v1/plazas/{PLAZA}/units/A-1", json={
        "area_m2": 50.0, "use": "shop", "occupant": {"name": "Li Ming", "kind": "merchant"}, "key_account": False})
    assert r.status_code in (200, 201), r.text
    r = await archive.get(f"/v1/plazas/{PLAZA}/units/A-1/revisions", params={"cursor": str(2**70)})
    assert r.status_code == 400 and r.json()["field"] == "cursor", r.text
    assert (await archive.get(f"/v1/plazas/{PLAZA}/units/A-1/revisions", params={"cursor": "0"})).status_code == 200


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(("service", "path", "params", "field"), [
    ("archive", "units/A-1/timeline", {"since": "0001-01-01T00:00:00+05:00"}, "since"),
    ("archive", "units/A-1/timeline", {"until": "9999-12-31T23:59:59-05:00"}, "until"),
    ("archive", "units/A-1/timeline", {"cursor": _cursor("0001-01-01T00:00:00+05:00|x")}, "cursor"),
    ("archive", "units/A-1/timeline", {"date": "0001-01-01"}, "date"),
    ("archive", "units/A-1/timeline", {"date": "9999-12-31"}, "date"),
    ("intake", "requests", {"since": "0001-01-01T00:00:00+05:00"}, "since"),
])
async def test_a_time_with_no_instant_in_utc_is_refused_naming_it(registered, service, path, params, field):
    """Within a day of year 1 or 9999 an offset time has no UTC instant: OverflowError, a 500."""
    r = await registered[service].get(f"/v1/plazas/{PLAZA}/{path}", params=params)
    assert r.status_code in (400, 422) and r.json()["field"] == field, r.text
