"""Bearer tokens verified locally: signature by a key of the JWKS, issuer, expiry, audience,
a rotated key read once, and an OIDC provider's claims mapped by dotted paths."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from libs.contracts.access import GLOBAL_ROLES, PERMISSIONS, PUBLIC, ROLES
from libs.runtime.auth import ClaimNames, InvalidToken, Keys, Principal, Verifier, from_claims
from tests.support.harness import jwks_file, token


def verifier(**kwargs) -> Verifier:
    return Verifier(Keys(jwks_file=jwks_file()), issuer="plazadesk-staff", **kwargs)


async def test_a_token_of_the_issuer_becomes_its_principal():
    p = await verifier().principal(token("li", plazas={"p1": ["clerk"]}, department=None, name="Li Na"))
    assert p == Principal(sub="li", name="Li Na", plazas={"p1": frozenset({"clerk"})})
    assert p.holds("p1") and not p.holds("p2") and p.roles_at("p1") == {"clerk"}


@pytest.mark.parametrize("bad, why", [
    (lambda: token("li", expires_in=-120), "expired"),
    (lambda: token("li", issuer="someone-else"), "not issued by"),
    (lambda: token("li", key=Ed25519PrivateKey.generate()), "signature"),
    (lambda: token("li", kid="other-key"), "not one of the issuer's keys"),
    (lambda: "not.a.jwt", "not a JWT"),
    (lambda: jwt.encode({"sub": "li", "iss": "plazadesk-staff", "exp": time.time() + 60}, "a-shared-secret-of-thirty-two-bytes!", "HS256"), "HS256"),
])
async def test_a_bad_token_is_refused_saying_why(bad, why):
    with pytest.raises(InvalidToken, match=why):
        await verifier().principal(bad())


async def test_the_audience_is_checked_when_set():
    v = verifier(audience="plazadesk")
    with pytest.raises(InvalidToken, match="no 'aud' claim"):
        await v.principal(token("li"))
    with pytest.raises(InvalidToken, match="not meant for"):
        await v.principal(token("li", aud="elsewhere"))
    assert (await v.principal(token("li", aud="plazadesk"))).sub == "li"


async def test_a_new_key_is_read_once_and_then_trusted(tmp_path):
    path = tmp_path / "jwks.json"
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def publish(*pairs) -> None:
        keys = [{**json.loads(OKPAlgorithm.to_jwk(k.public_key())), "kid": kid, "alg": "EdDSA"} for kid, k in pairs]
        path.write_text(json.dumps({"keys": keys}))

    publish(("old", old))
    v = Verifier(Keys(jwks_file=str(path), cooldown_s=0), issuer="plazadesk-staff")
    assert (await v.principal(token("li", key=old, kid="old"))).sub == "li"
    publish(("old", old), ("new", new))  # the issuer rotates
    assert (await v.principal(token("li", key=new, kid="new"))).sub == "li"
    reads = v.keys._read_at
    await v.principal(token("li", key=new, kid="new"))
    assert v.keys._read_at == reads, "a known key is not read again"


async def test_an_unknown_key_does_not_make_a_read_per_request(tmp_path):
    v = Verifier(Keys(jwks_file=jwks_file(), cooldown_s=60), issuer="plazadesk-staff")
    with pytest.raises(InvalidToken):
        await v.principal(token("li", kid="nope"))
    read = v.keys._read_at
    with pytest.raises(InvalidToken):
        await v.principal(token("li", kid="nope-again"))
    assert v.keys._read_at == read


async def test_an_oidc_providers_token_with_keycloaks_claims(tmp_path):
    """A token as Keycloak issues it (RS256, realm roles under realm_access.roles, plazas
    from a user attribute mapper), verified with the realm's JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "certs.json"
    path.write_text(json.dumps({"keys": [{**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "kc1"}]}))
    issuer = "https://sso.example.com/realms/plazadesk"
    claims = {"iss": issuer, "sub": "f3a1-uuid", "exp": time.time() + 300, "aud": "plazadesk",
              "preferred_username": "wang", "realm_access": {"roles": ["offline_access", "finance", "auditor"]},
              "plazas": ["p1", "p2"], "dept": "engineering"}
    signed = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "kc1"})
    v = Verifier(Keys(jwks_file=str(path)), issuer=issuer, audience="plazadesk",
                 claims=ClaimNames(roles="realm_access.roles", department="dept", name="name"))
    p = await v.principal(signed)
    assert p == Principal(sub="f3a1-uuid", name="wang", roles=frozenset({"auditor"}),
                          plazas={"p1": frozenset({"finance"}), "p2": frozenset({"finance"})}, department="engineering")


def test_only_operator_and_auditor_are_global_and_hold_every_plaza():
    p = from_claims({"sub": "x", "roles": ["clerk", "auditor"], "plazas": {"p1": ["staff", "root"]}})
    assert p.roles == {"auditor"} and p.holds("anywhere") and p.plazas == {"p1": frozenset({"staff"})}
    staff = from_claims({"sub": "y", "plazas": {"p1": ["staff"]}, "department": "engineering"})
    assert staff.department_only("p1") == "engineering" and not staff.holds("p2")
    lead = from_claims({"sub": "z", "plazas": {"p1": ["staff", "supervisor"]}, "department": "engineering"})
    assert lead.department_only("p1") is None


def test_the_table_names_known_roles_and_the_auditor_writes_nothing():
    for service, rows in PERMISSIONS.items():
        for route, roles in rows.items():
            assert roles == PUBLIC or roles <= set(ROLES), (service, route)
            if not route.startswith("GET "):
                assert "auditor" not in roles, f"{service} {route}: an auditor writes nothing"
    assert GLOBAL_ROLES == {"operator", "auditor"}


async def test_a_remembered_token_is_still_refused_once_it_expires():
    v = verifier(leeway_s=100)
    lapsed = token("li", expires_in=-50)  # within the leeway: accepted and remembered
    assert (await v.principal(lapsed)).sub == "li"
    assert (await v.principal(lapsed)).sub == "li"
    v.leeway_s = 0  # now past it: the remembered answer must not outlive the token
    with pytest.raises(InvalidToken, match="expired"):
        await v.principal(lapsed)


async def test_a_remembered_token_is_checked_again_once_the_keys_are_due_a_reread(monkeypatch, tmp_path):
    keys = Keys(jwks_file=jwks_file(), lifespan_s=60)
    v = Verifier(keys, issuer="plazadesk-staff")
    t = token("li")
    assert (await v.principal(t)).sub == "li"
    other = json.loads(OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate().public_key()))
    (tmp_path / "rotated.json").write_text(json.dumps({"keys": [{**other, "kid": "rotated"}]}))
    keys.jwks_file = str(tmp_path / "rotated.json")  # the token's key was withdrawn from the JWKS
    assert (await v.principal(t)).sub == "li"  # within the keys' trusted lifespan
    later = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: later)
    with pytest.raises(InvalidToken, match="not one of the issuer's keys"):
        await v.principal(t)
