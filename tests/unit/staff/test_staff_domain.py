"""Staff's rules without I/O: roles per plaza and global roles, who may do what, what a
token says, the slow-down schedule of failed logins, and the signing keys."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from services.staff.keys import domain as keys
from services.staff.people import domain as people
from services.staff.tokens import domain as tokens

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def test_plaza_roles_are_checked_deduplicated_and_ordered():
    assert people.plaza_roles(["staff", "clerk", "clerk"], "engineering") == ["clerk", "staff"]


@pytest.mark.parametrize(("roles", "department", "field"), [
    ([], None, "roles"),
    (["janitor"], None, "roles"),
    (["occupant"], None, "roles"),  # occupants are not staff
    (["staff"], None, "department"),  # staff of which department?
])
def test_wrong_plaza_roles_are_refused_naming_the_field(roles, department, field):
    with pytest.raises(people.Refused) as refused:
        people.plaza_roles(roles, department)
    assert refused.value.field == field


def test_only_operator_and_auditor_may_be_global():
    assert people.global_roles(["auditor", "operator"]) == ["operator", "auditor"]
    assert people.global_roles([]) == []
    for role in ("clerk", "supervisor", "manager", "staff", "finance"):
        with pytest.raises(people.Refused):
            people.global_roles([role])


@pytest.mark.parametrize("name", ["zhang.wei", "op-1", "a", "li_na"])
def test_usernames(name):
    assert people.check_username(name) == name


@pytest.mark.parametrize("name", ["", "Zhang", "has space", ".dot", "x" * 65, "a/b"])
def test_bad_usernames(name):
    with pytest.raises(people.Refused):
        people.check_username(name)


def test_a_department_is_a_subject_token():
    assert people.check_department("engineering") == "engineering"
    with pytest.raises(people.Refused):
        people.check_department("eng.>")


def test_passwords_have_a_length():
    with pytest.raises(people.Refused):
        people.check_password("short")
    assert people.check_password("long enough")


SUPERVISOR_P1 = {"roles": [], "plazas": {"p1": ["supervisor"]}}
OPERATOR = {"roles": ["operator"], "plazas": {}}
AUDITOR = {"roles": ["auditor"], "plazas": {}}


def test_a_role_at_a_plaza_counts_there_only():
    assert people.decide(SUPERVISOR_P1, "p1", people.READERS) == 200
    assert people.decide(SUPERVISOR_P1, "p1", people.WRITERS) == 403
    assert people.decide(SUPERVISOR_P1, "p2", people.READERS) == 404  # never reveal another plaza


def test_a_global_role_counts_at_every_plaza():
    assert people.decide(OPERATOR, "any-plaza", people.WRITERS) == 200
    assert people.decide(AUDITOR, "any-plaza", people.READERS) == 200
    assert people.decide(AUDITOR, "any-plaza", people.WRITERS) == 403


def test_a_person_record_needs_a_global_role():
    assert people.decide(OPERATOR, None, frozenset({"operator"})) == 200
    assert people.decide({"roles": [], "plazas": {"p1": ["operator"]}}, None, frozenset({"operator"})) == 403


def test_the_claims_are_exactly_the_agreed_ones():
    person = {"username": "zhang.wei", "name": "张伟", "global_roles": "", "department": "engineering"}
    claims = tokens.claims(person, {"p2": ["staff"], "p1": ["staff", "clerk"]}, issuer="plazadesk-staff", now=T0, ttl_s=3600)
    assert claims == {
        "iss": "plazadesk-staff", "sub": "zhang.wei", "name": "张伟", "iat": int(T0.timestamp()),
        "exp": int(T0.timestamp()) + 3600, "roles": [], "plazas": {"p1": ["staff", "clerk"], "p2": ["staff"]},
        "department": "engineering",
    }


def test_only_an_active_person_with_the_right_password_logs_in():
    assert tokens.may_log_in({"active": True}, True)
    assert not tokens.may_log_in({"active": False}, True)
    assert not tokens.may_log_in({"active": True}, False)
    assert not tokens.may_log_in(None, True)


def test_the_slow_down_schedule():
    assert [tokens.delay_after(n) for n in range(1, 11)] == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32]
    assert tokens.delay_after(40) == 900  # capped
    assert tokens.delay_after(3, free=3, max_delay_s=10) == 1


def test_a_key_waits_after_its_free_failures_and_is_forgotten_after_a_quiet_hour():
    t = tokens.Throttle()
    for i in range(4):
        t = tokens.after_failure(t, T0)
        assert tokens.wait_s(t, T0) == 0
    t = tokens.after_failure(t, T0)  # the fifth
    assert tokens.wait_s(t, T0) == 1 and tokens.wait_s(t, T0 + dt.timedelta(seconds=1)) == 0
    t = tokens.after_failure(t, T0)
    assert tokens.wait_s(t, T0) == 2  # growing
    later = T0 + dt.timedelta(hours=2)
    assert tokens.after_failure(t, later).failures == 1


def test_refresh_tokens_are_kept_as_hashes_and_usable_until_expiry_or_revocation():
    token = tokens.new_refresh_token()
    assert len(token) >= 40 and tokens.refresh_hash(token) != token and len(tokens.refresh_hash(token)) == 64
    row = {"revoked_at": None, "expires_at": T0 + dt.timedelta(hours=1)}
    assert tokens.refresh_usable(row, T0)
    assert not tokens.refresh_usable(row, T0 + dt.timedelta(hours=2))
    assert not tokens.refresh_usable({**row, "revoked_at": T0}, T0)
    assert not tokens.refresh_usable(None, T0)


def test_a_token_verifies_with_its_key_and_the_jwks_and_nothing_else():
    ring = keys.Keyring(keys.new_private_key())
    claims = {"iss": "plazadesk-staff", "sub": "op", "iat": int(T0.timestamp()), "exp": 4_000_000_000}
    token = ring.sign(claims)
    assert ring.verify(token, issuer="plazadesk-staff")["sub"] == "op"
    [jwk] = ring.jwks()["keys"]
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"])["sub"] == "op"
    with pytest.raises(keys.BadToken):
        ring.verify(token, issuer="someone-else")
    with pytest.raises(keys.BadToken):
        keys.Keyring(keys.new_private_key()).verify(token, issuer="plazadesk-staff")
    with pytest.raises(keys.BadToken, match="expired"):
        ring.verify(ring.sign({**claims, "exp": int(T0.timestamp())}), issuer="plazadesk-staff")


def test_an_old_key_stays_published_and_honoured_after_a_rotation():
    old = keys.new_private_key()
    token = keys.Keyring(old).sign({"iss": "i", "sub": "op", "iat": 1, "exp": 4_000_000_000})
    ring = keys.Keyring(keys.new_private_key(), [old.public_key()])
    assert len(ring.jwks()["keys"]) == 2 and ring.kid == ring.jwks()["keys"][0]["kid"]
    assert ring.verify(token, issuer="i")["sub"] == "op"


def test_the_kid_is_the_rfc7638_thumbprint():
    key = keys.new_private_key()
    jwk = keys.public_jwk(key.public_key())
    expected = jwt.PyJWK({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    assert jwk["kid"] == keys.public_jwk(expected.key)["kid"]  # stable for the same key
    assert len(jwk["kid"]) == 43


def test_the_role_names_agree():
    from typing import get_args

    assert get_args(people.StaffRole) == people.STAFF_ROLES


# --- occupants' links ------------------------------------------------------------------

def test_an_occupant_token_names_one_unit_at_one_plaza_and_masks_the_phone():
    from libs.runtime.auth import from_claims
    from services.staff.tokens import domain as tokens_domain

    name = tokens_domain.occupant_name("A-203", "138-0013-8000")
    assert name == "A-203 住户/occupant ****8000" and "0013" not in name
    assert tokens_domain.occupant_name("A-203", None) == "A-203 住户/occupant"
    link = {"plaza_id": "p1", "unit": "A-203", "link_id": "abc", "name": name}
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    claims = tokens_domain.occupant_claims(link, issuer="plazadesk-staff", now=now, ttl_s=3600)
    assert claims["sub"] == "occupant:p1:A-203:abc" and claims["plazas"] == {"p1": ["occupant"]}
    assert claims["roles"] == [] and claims["unit"] == "A-203" and claims["exp"] - claims["iat"] == 3600
    assert from_claims(claims).own_unit("p1") == "A-203"


def test_a_link_lives_at_most_a_week_and_works_once():
    from services.staff.tokens import domain as tokens_domain

    assert tokens_domain.link_lifetime(None) == tokens_domain.link_lifetime(30) == dt.timedelta(days=7)
    assert tokens_domain.link_lifetime(2) == dt.timedelta(days=2)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    fresh = {"used_at": None, "expires_at": now + dt.timedelta(hours=1)}
    assert tokens_domain.link_usable(fresh, now)
    assert not tokens_domain.link_usable({**fresh, "used_at": now}, now)
    assert not tokens_domain.link_usable({**fresh, "expires_at": now}, now)
    assert not tokens_domain.link_usable(None, now)
    assert "#token=" in tokens_domain.link_path("p1", "t")  # the fragment: never sent to a server
