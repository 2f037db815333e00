"""An occupant's token sees one unit: ``own_unit`` says which (None for staff), and
``check_unit`` answers another unit with a 404 that reveals nothing about it."""

from __future__ import annotations

import pytest

from libs.runtime.auth import Principal, check_unit, from_claims, own_unit
from libs.runtime.errors import NotFound


def occupant(unit: str | None = "A-203") -> Principal:
    return Principal(sub="occupant:p1:A-203:x", plazas={"p1": frozenset({"occupant"})}, unit=unit)


def test_an_occupant_is_limited_to_the_unit_of_the_token():
    assert occupant().own_unit("p1") == "A-203"
    assert occupant().may_see_unit("p1", "A-203") and not occupant().may_see_unit("p1", "B-1")


def test_staff_are_not_limited_to_a_unit():
    clerk = Principal(sub="wang", plazas={"p1": frozenset({"clerk"})}, unit="A-203")
    assert clerk.own_unit("p1") is None and clerk.may_see_unit("p1", "B-1")
    assert Principal(sub="op", roles=frozenset({"operator"})).own_unit("p1") is None
    assert own_unit(None, "p1") is None  # no principal: an in-process or public call


def test_an_occupant_without_a_unit_claim_sees_no_unit():
    assert occupant(None).own_unit("p1") == ""
    assert not occupant(None).may_see_unit("p1", "A-203")


def test_another_unit_is_a_404_naming_it_as_not_theirs():
    check_unit(occupant(), "p1", "A-203")
    with pytest.raises(NotFound, match="'B-1' is not your unit") as caught:
        check_unit(occupant(), "p1", "B-1")
    assert caught.value.field == "unit"
    check_unit(None, "p1", "B-1")  # staff or in-process: no narrowing


def test_the_unit_claim_is_read_from_the_token():
    claims = {"sub": "occupant:p1:A-203:x", "plazas": {"p1": ["occupant"]}, "unit": "A-203"}
    assert from_claims(claims).unit == "A-203"
    assert from_claims({**claims, "unit": ["A-203"]}).unit is None  # not a string: ignored
