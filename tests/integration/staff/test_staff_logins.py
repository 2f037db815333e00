"""Logins against a real nats-server and a real database (SQLite, and PostgreSQL if here):
the operator account, tokens that verify against the published keys, the slow-down of
failed logins, refresh tokens."""

from __future__ import annotations

import datetime as dt
import os
import stat

import jwt
import pytest

from services.staff.app import create_app
from services.staff.settings import Settings
from staff_fixtures import OPERATOR_PASSWORD, bearer, login, served, staff, staff_settings  # noqa: F401
from tests.support.harness import served_here, service_settings

ENGINEER = {"name": "张伟 Zhang Wei", "roles": ["staff"], "department": "engineering", "post": "维修工",
            "password": "engineer-password", "phone": "13800000001"}


async def test_the_operator_logs_in_with_the_password_from_the_environment(staff, staff_settings, tmp_path):
    r = await login(staff, "operator", OPERATOR_PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["refresh_token"]
    assert r.headers["cache-control"] == "no-store"
    assert not (tmp_path / "operator-password").exists()  # an env password is never written down


async def test_without_the_setting_a_password_is_generated_printed_once_and_kept(
        bus, nats_server, db_kind, tmp_path, cleanup_schemas, capsys):
    await bus.declare_streams("archive", "intake", "dispatch", "survey", "billing")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas)
    async with served_here(create_app(settings), "http://staff") as client:
        kept = tmp_path / "operator-password"
        password = kept.read_text().strip()
        assert len(password) >= 20 and stat.S_IMODE(os.stat(kept).st_mode) == 0o600
        err = capsys.readouterr().err
        assert [line for line in err.splitlines() if password in line and not line.startswith("{")]
        assert not [line for line in err.splitlines() if password in line and line.startswith("{")]  # no log line
        assert (await login(client, "operator", password)).status_code == 200
    async with served_here(create_app(settings), "http://staff") as client:  # the second start
        assert password not in capsys.readouterr().err  # printed once
        assert kept.read_text().strip() == password
        assert (await login(client, "operator", password)).status_code == 200


async def test_a_person_put_by_the_operator_logs_in_and_the_token_verifies_against_the_jwks(staff):
    r = await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=await bearer(staff))
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["roles"] == ["staff"] and shown["department"] == "engineering" and "password" not in str(shown)
    token = (await login(staff, "zhang.wei", "engineer-password")).json()["access_token"]

    jwks = (await staff.get("/.well-known/jwks.json")).json()
    [key] = jwks["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"], issuer="plazadesk-staff")
    assert set(claims) == {"iss", "sub", "name", "iat", "exp", "roles", "plazas", "department"}
    assert claims["sub"] == "zhang.wei" and claims["name"] == "张伟 Zhang Wei"
    assert claims["roles"] == [] and claims["plazas"] == {"p1": ["staff"]} and claims["department"] == "engineering"
    assert claims["exp"] - claims["iat"] == 3600


async def test_the_operator_token_holds_the_global_role(staff):
    token = (await login(staff, "operator", OPERATOR_PASSWORD)).json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["roles"] == ["operator"] and claims["plazas"] == {} and claims["iss"] == "plazadesk-staff"


async def test_a_wrong_password_is_401_and_repeated_failures_are_slowed_down(staff):
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=await bearer(staff))
    for _ in range(5):
        r = await login(staff, "zhang.wei", "not-the-password")
        assert r.status_code == 401 and r.json()["detail"] == "the username or the password is wrong"
    r = await login(staff, "zhang.wei", "engineer-password")  # even the right one waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_username_answers_exactly_like_a_wrong_password(staff):
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=await bearer(staff))
    known = await login(staff, "zhang.wei", "not-the-password")
    unknown = await login(staff, "nobody", "not-the-password")
    assert (known.status_code, known.json()["detail"]) == (unknown.status_code, unknown.json()["detail"]) == (
        401, "the username or the password is wrong")


async def test_failures_from_one_client_address_are_slowed_down_across_usernames(staff):
    for i in range(5):
        assert (await login(staff, f"guess{i}", "whatever-password")).status_code == 401
    r = await login(staff, "guess-next", "whatever-password")
    assert r.status_code == 429 and r.json()["retry_after_s"] >= 1


async def test_an_inactive_person_gets_no_token(staff):
    op = await bearer(staff)
    await staff.put("/v1/plazas/p1/staff/zhang.wei", json=ENGINEER, headers=op)
    refresh = (await login(staff, "zhang.wei", "engineer-password")).json()["refresh_token"]
    r = await staff.patch("/v1/staff/zhang.wei", json={"active": False}, headers=op)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await login(staff, "zhang.wei", "engineer-password")).status_code == 401
    r = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": refresh})
    assert r.status_code == 401


async def test_a_refresh_token_gives_a_new_pair_once(staff):
    first = (await login(staff, "operator", OPERATOR_PASSWORD)).json()
    r = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert jwt.decode(second["access_token"], options={"verify_signature": False})["sub"] == "operator"
    again = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 401  # used once


async def test_a_forged_or_expired_refresh_token_is_refused(staff_settings, bus):
    from services.staff.tables import refresh_tokens

    async with served(staff_settings, bus) as staff:  # on this test's loop: its database is at hand
        forged = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": "x" * 43})
        assert forged.status_code == 401
        old = (await login(staff, "operator", OPERATOR_PASSWORD)).json()["refresh_token"]
        runtime = staff._transport.app.dependencies["runtime"].dependency()
        async with runtime.transaction() as tx:  # its lifetime over
            await tx.conn.execute(refresh_tokens.update().values(
                expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
        expired = await staff.post("/v1/token", json={"grant_type": "refresh_token", "refresh_token": old})
        assert expired.status_code == 401


async def test_a_token_signed_by_another_key_or_expired_is_refused(staff):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    real = (await login(staff, "operator", OPERATOR_PASSWORD)).json()["access_token"]
    claims = jwt.decode(real, options={"verify_signature": False})
    kid = jwt.get_unverified_header(real)["kid"]
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    r = await staff.get("/v1/plazas/p1/staff", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert (await staff.get("/v1/plazas/p1/staff", headers={"Authorization": f"Bearer {real}"})).status_code == 200


@pytest.mark.parametrize("body", [{"username": "operator"}, {"grant_type": "refresh_token"}])
async def test_a_token_request_missing_a_field_names_it(staff, body):
    r = await staff.post("/v1/token", json=body)
    assert r.status_code == 422 and r.json()["field"] in ("password", "refresh_token")


async def test_expired_refresh_tokens_and_forgiven_failures_are_dropped(staff_settings, bus):
    from services.staff.tables import login_failures, refresh_tokens
    from services.staff.tokens import services as tokens

    async with served(staff_settings, bus) as staff:
        await login(staff, "operator", OPERATOR_PASSWORD)
        await login(staff, "nobody", "wrong-password")
        runtime = staff._transport.app.dependencies["runtime"].dependency()
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
        async with runtime.transaction() as tx:
            await tx.conn.execute(refresh_tokens.update().values(expires_at=past))
            await tx.conn.execute(login_failures.update().values(last_failure_at=past))
        await tokens.drop_expired(runtime)
        async with runtime.read() as conn:
            for table in (refresh_tokens, login_failures):
                assert (await conn.execute(table.select())).first() is None
