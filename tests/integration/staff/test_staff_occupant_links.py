"""Occupants' magic links against a real nats-server and database: the desk issues a
one-time link for a unit; the occupant exchanges it once for a one-hour token of role
occupant at that plaza, limited to the unit; a forged, expired or used link is refused."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from libs.runtime.auth import Keys, Verifier, from_claims
from services.staff.tables import occupant_links
from staff_fixtures import OPERATOR_PASSWORD, bearer, login, served, staff, staff_settings  # noqa: F401

CLERK = {"name": "王芳 Wang Fang", "roles": ["clerk"], "password": "clerk-password"}
FINANCE = {"name": "赵敏 Zhao Min", "roles": ["finance"], "password": "finance-password"}


async def person(client, username: str, body: dict, plaza: str = "p1") -> dict:
    r = await client.put(f"/v1/plazas/{plaza}/staff/{username}", json=body, headers=await bearer(client))
    assert r.status_code == 200, r.text
    return await bearer(client, username, body["password"])


async def exchange(client, token: str):
    return await client.post("/v1/token", json={"grant_type": "magic_link", "token": token})


async def test_a_clerk_issues_a_link_that_gives_an_occupant_token_once(staff):
    clerk = await person(staff, "wang.fang", CLERK)
    r = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203", "phone": "13800138000"}, headers=clerk)
    assert r.status_code == 201, r.text
    link = r.json()
    assert set(link) == {"token", "path", "expires_at"} and r.headers["cache-control"] == "no-store"
    assert link["path"] == f"/occupant/p1/login#token={link['token']}"  # the fragment: never sent to a server
    expires = dt.datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=6) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=7)

    r = await exchange(staff, link["token"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expires_in"] == 3600 and "refresh_token" not in body
    jwks = (await staff.get("/.well-known/jwks.json")).json()
    claims = jwt.decode(body["access_token"], jwt.PyJWK(jwks["keys"][0]).key, algorithms=["EdDSA"],
                        issuer="plazadesk-staff")
    assert claims["plazas"] == {"p1": ["occupant"]} and claims["roles"] == [] and claims["unit"] == "A-203"
    assert claims["sub"].startswith("occupant:p1:A-203:") and claims["exp"] - claims["iat"] == 3600
    assert "13800138000" not in claims["name"] and claims["name"].endswith("****8000")
    assert from_claims(claims) == await Verifier(Keys(own=jwks), issuer="plazadesk-staff").principal(body["access_token"])
    principal = from_claims(claims)  # as every service sees the caller
    assert principal.own_unit("p1") == "A-203" and not principal.holds("p2")

    again = await exchange(staff, link["token"])  # a link works once
    assert again.status_code == 401 and "not valid" in again.json()["detail"]


async def test_only_the_desk_issues_links(staff):
    finance = await person(staff, "zhao.min", FINANCE)
    r = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203"}, headers=finance)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    clerk = await person(staff, "wang.fang", CLERK)
    r = await staff.post("/v1/plazas/p2/occupant-links", json={"unit": "A-203"}, headers=clerk)
    assert r.status_code == 404 and r.json()["field"] == "plaza"  # a plaza the clerk does not hold
    assert (await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203"})).status_code == 401


async def test_a_link_names_a_unit_that_is_an_id_and_lives_at_most_a_week(staff):
    op = await bearer(staff)
    bad = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A 203.x"}, headers=op)
    assert bad.status_code == 422 and bad.json()["field"] == "unit"
    long = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203", "valid_days": 30}, headers=op)
    assert long.status_code == 422 and long.json()["field"] == "valid_days"
    short = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203", "valid_days": 1}, headers=op)
    expires = dt.datetime.fromisoformat(short.json()["expires_at"].replace("Z", "+00:00"))
    assert expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=1)


@pytest.mark.parametrize("body", [{"grant_type": "magic_link"}, {"grant_type": "magic_link", "token": "x" * 43}])
async def test_a_missing_or_forged_link_is_refused(staff, body):
    r = await staff.post("/v1/token", json=body)
    assert r.status_code == (422 if "token" not in body else 401)
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_an_expired_link_is_refused(staff_settings, bus):
    async with served(staff_settings, bus) as staff:  # on this test's loop: its database is at hand
        r = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203"}, headers=await bearer(staff))
        runtime = staff._transport.app.dependencies["runtime"].dependency()
        async with runtime.transaction() as tx:  # its lifetime over
            await tx.conn.execute(occupant_links.update().values(
                expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
        assert (await exchange(staff, r.json()["token"])).status_code == 401


async def test_an_occupant_token_opens_no_staff_route(staff):
    r = await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203"}, headers=await bearer(staff))
    token = (await exchange(staff, r.json()["token"])).json()["access_token"]
    occupant = {"Authorization": f"Bearer {token}"}
    assert (await staff.get("/v1/plazas/p1/staff", headers=occupant)).status_code == 403
    assert (await staff.post("/v1/plazas/p1/occupant-links", json={"unit": "A-203"}, headers=occupant)).status_code == 403
    assert (await staff.get("/v1/plazas/p2/staff", headers=occupant)).status_code == 404  # another plaza


async def test_guessing_links_is_slowed_down_like_guessing_passwords(staff):
    for i in range(5):
        assert (await exchange(staff, f"guess-{i}" + "x" * 40)).status_code == 401
    r = await exchange(staff, "guess-next" + "x" * 40)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert (await login(staff, "operator", OPERATOR_PASSWORD)).status_code == 429  # the same client address
