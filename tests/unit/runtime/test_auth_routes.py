"""The table is enforced as written: a route without a row stops the app from starting; a
public route reads no token at all; the others answer 401, 404 and 403 as problems."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient

from libs.contracts import access
from libs.runtime import auth
from libs.runtime.auth import Keys, MissingRows, Verifier
from libs.runtime.http import problem_details
from tests.support.harness import bearer, jwks_file


@get("/v1/plazas/{plaza:str}/things", sync_to_thread=False)
def things(plaza: str, actor: str = auth.ACTOR) -> dict:
    return {"plaza": plaza, "actor": actor}


@get("/v1/plazas/{plaza:str}/open", sync_to_thread=False)
def open_route(plaza: str) -> dict:
    return {"plaza": plaza}


def app(service: str = "probe") -> Litestar:
    built = Litestar(
        [things, open_route], guards=[auth.authorize], plugins=[problem_details()],
        dependencies={"actor": Provide(auth.actor, sync_to_thread=False)},
        middleware=[DefineMiddleware(auth.Authenticate, verifier=Verifier(Keys(jwks_file=jwks_file()),
                                                                          issuer="plazadesk-staff"))],
    )
    auth.apply_table(built, service)
    return built


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setitem(access.PERMISSIONS, "probe", {
        "GET /v1/plazas/{plaza}/things": frozenset({"clerk"}), "GET /v1/plazas/{plaza}/open": access.PUBLIC})


def test_a_route_missing_from_the_table_stops_the_start(monkeypatch):
    monkeypatch.setitem(access.PERMISSIONS, "probe", {"GET /v1/plazas/{plaza}/things": frozenset({"clerk"})})
    with pytest.raises(MissingRows, match=r"GET /v1/plazas/\{plaza\}/open"):
        app()


def test_each_caller_gets_the_answer_the_table_gives(table):
    with TestClient(app()) as client:
        none = client.get("/v1/plazas/p1/things")
        assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
        assert none.headers["content-type"].startswith("application/problem+json")
        forged = client.get("/v1/plazas/p1/things", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401 and "invalid_token" in forged.headers["www-authenticate"]
        elsewhere = client.get("/v1/plazas/p1/things", headers=bearer("li", plazas={"p2": ["clerk"]}))
        assert elsewhere.status_code == 404 and elsewhere.json()["field"] == "plaza"
        wrong = client.get("/v1/plazas/p1/things", headers=bearer("li", plazas={"p1": ["finance"]}))
        assert wrong.status_code == 403 and wrong.json()["roles"] == ["clerk"]
        right = client.get("/v1/plazas/p1/things", headers=bearer("li", plazas={"p1": ["clerk"]}))
        assert right.json() == {"plaza": "p1", "actor": "li"}
        # A public route: no token needed, and a bad one is not even read.
        assert client.get("/v1/plazas/p1/open", headers={"Authorization": "Bearer junk"}).status_code == 200


def test_keys_that_cannot_be_read_are_the_services_trouble_not_the_callers(table, tmp_path):
    unreadable = Litestar(
        [things, open_route], guards=[auth.authorize], plugins=[problem_details()],
        dependencies={"actor": Provide(auth.actor, sync_to_thread=False)},
        middleware=[DefineMiddleware(auth.Authenticate, verifier=Verifier(
            Keys(jwks_url="http://127.0.0.1:9/.well-known/jwks.json"), issuer="plazadesk-staff"))],
    )
    auth.apply_table(unreadable, "probe")
    with TestClient(unreadable) as client:
        r = client.get("/v1/plazas/p1/things", headers=bearer("li", plazas={"p1": ["clerk"]}))
        assert r.status_code == 503 and "could not be read" in r.json()["detail"], r.text
