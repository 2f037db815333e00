"""One rule in every service: a plaza the service does not know is 404, a problem naming
the plaza, on every route under /v1/plazas/{plaza} (lists and writes alike). The routes
are read from the apps' own route tables, so a new route is covered when it is added."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar

from five_services import SERVICES, clients  # noqa: F401  (clients: the fixture)
from libs.runtime.http import PLAZA_MAY_BE_NEW, Page
from tests.support.harness import eventually

EXAMPLE = {"date": "2026-03-01", "int": "1"}


def plaza_routes(app: Litestar) -> list[tuple[str, str, bool]]:
    """(method, path with every parameter but the plaza filled in, returns a Page) for every
    plaza-scoped route of the app."""
    found = []
    for route in app.routes:
        if "{plaza:" not in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                if handler.opt.get(PLAZA_MAY_BE_NEW):
                    continue
                path = re.sub(r"\{(\w+):(\w+)\}", lambda m: "{plaza}" if m[1] == "plaza" else EXAMPLE.get(m[2], "x1"),
                              route.path)
                found.append((method, path, handler.parsed_fn_signature.return_type.annotation is Page))
    return found


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_of_an_unknown_plaza_answers_404_naming_it(clients, service):
    client = clients[service]
    routes = plaza_routes(client.app)
    assert any(is_list for *_, is_list in routes), "the list routes are among them"
    for method, path, _ in routes:
        r = await client.request(method, path.format(plaza="nope"), json={})
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["field"] == "plaza" and "'nope'" in problem["detail"], (method, path, problem)


async def test_a_plaza_registered_in_archive_is_known_to_every_list_route(clients):
    r = await clients["archive"].put("/v1/plazas/known-1", json={"name": "Known Plaza", "timezone": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    for service in SERVICES:
        client = clients[service]
        lists = [path.format(plaza="known-1") for method, path, is_list in plaza_routes(client.app)
                 if is_list and "x1" not in path and method == "GET"]
        assert lists, service

        async def answered(path=lists[0]):  # the plaza reaches each service's copy through the bus
            return (await client.get(path)).status_code != 404

        await eventually(answered, what=f"{service} to know plaza known-1")
        for path in lists:
            r = await client.get(path)
            assert r.status_code == 200 and "items" in r.json(), (service, path, r.text)
