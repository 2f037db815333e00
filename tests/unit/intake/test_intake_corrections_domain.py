"""Intake's rules for what the desk decides over the keyword rules: a chosen department, an
overruled referral, where a request is about (a unit, a public area, or a passer-by), a
mixed message split in two, and corrections after receipt. No I/O."""

from __future__ import annotations

import pytest

from libs.contracts.events import Contact
from libs.runtime.errors import InvalidInput
from services.intake.areas import domain as areas
from services.intake.corrections import domain as corrections
from services.intake.corrections.domain import Change, Classification
from services.intake.requests import domain
from services.intake.requests.domain import Refused

STREET_LIGHT = "the street light in the car park is off (路灯)"


# --- choices at intake ------------------------------------------------------------------

def test_a_clerk_keeps_a_referred_service_and_the_overruled_referral_is_kept_aside():
    found = domain.assess(STREET_LIGHT)
    assert found.referral.phone == "12345"
    chosen = domain.decide(found, serviceable=True)
    assert (chosen.serviceable, chosen.referral) == (True, None)
    assert chosen.overruled.phone == "12345"


def test_without_the_clerk_the_directory_decides():
    chosen = domain.decide(domain.assess(STREET_LIGHT))
    assert chosen.serviceable is False and chosen.referral.phone == "12345" and chosen.overruled is None
    assert domain.decide(domain.assess("门锁坏了")).serviceable is True


def test_a_chosen_department_wins_and_says_so():
    found = domain.assess("门锁坏了")
    assert domain.decide(found, department="security").department_chosen is True
    assert domain.decide(found, department="security").department == "security"
    assert domain.decide(found).department_chosen is False


@pytest.mark.parametrize("department", ["eng.north", "a b", "*", ">", "", "x" * 65])
def test_a_department_must_be_a_subject_token(department):
    with pytest.raises(Refused) as err:
        domain.decide(domain.assess("门锁坏了"), department=department)
    assert err.value.field == "department"


def test_only_a_service_can_be_declared_unserviceable():
    with pytest.raises(Refused) as err:
        domain.decide(domain.assess("我要投诉保安态度差"), serviceable=False)
    assert err.value.field == "serviceable"
    chosen = domain.decide(domain.assess("空调不制冷"), serviceable=False)
    assert (chosen.serviceable, chosen.referral) == (False, None)


# --- where a request is about -----------------------------------------------------------

AREAS = frozenset({"car-park-b2", "east-entrance"})
CALLER = Contact(name="张先生", phone="13900139000")


def test_a_unit_or_a_public_area_or_a_caller_who_leaves_name_and_phone():
    assert domain.whereabouts("A-203", None, None, AREAS) == ("A-203", None)
    assert domain.whereabouts(None, "car-park-b2", None, AREAS) == ("", "car-park-b2")
    assert domain.whereabouts(None, None, CALLER, AREAS) == ("", None)


@pytest.mark.parametrize(
    ("unit", "area", "contact", "field"),
    [
        ("A-203", "car-park-b2", None, "area"),
        (None, "roof", None, "area"),
        (None, None, None, "contact"),
        (None, None, Contact(name="张先生"), "contact"),
        (None, None, Contact(name=" ", phone="139"), "contact"),
    ],
)
def test_where_is_refused_naming_the_field(unit, area, contact, field):
    with pytest.raises(Refused) as err:
        domain.whereabouts(unit, area, contact, AREAS)
    assert err.value.field == field


def test_public_areas_need_distinct_token_ids_and_names():
    ok = areas.PublicAreas(items=[areas.PublicArea(id="car-park-b2", name="地下停车场B2")])
    assert areas.check_areas(ok) is ok
    assert {"car-park", "east-entrance", "west-entrance", "corridors", "toilets", "escalators"} <= areas.DEFAULT_AREAS.ids()
    for items, field in [
        ([areas.PublicArea(id="b2.north", name="x")], "items[0].id"),
        ([areas.PublicArea(id="a", name="x"), areas.PublicArea(id="a", name="y")], "items[1].id"),
        ([areas.PublicArea(id="a", name=" ")], "items[0].name"),
    ]:
        with pytest.raises(InvalidInput) as err:
            areas.check_areas(areas.PublicAreas(items=items))
        assert err.value.field == field


# --- mixed messages ---------------------------------------------------------------------

def test_a_complaint_that_also_thanks_someone_splits_into_the_job_and_its_praise():
    found = domain.assess("投诉电梯又坏了，不过谢谢保安帮忙搬东西")
    assert found.kind == "complaint" and found.also == ("praise",)
    assert domain.splits(found) and not domain.splits(found, wanted=False)
    thanks = domain.praise_half("投诉电梯又坏了，不过谢谢保安帮忙搬东西")
    assert (thanks.kind, thanks.praised_department) == ("praise", "security")


def test_a_repair_that_thanks_someone_splits_but_politeness_or_plain_service_does_not():
    mixed = "the door is broken. Many thanks to guard Wang who helped me carry boxes yesterday"
    assert domain.splits(domain.assess(mixed, kind="service"))
    assert domain.splits(domain.assess("门口的灯坏了，另外谢谢上次的维修师傅"))
    assert not domain.splits(domain.assess("thank you, but the door is broken"))  # politeness, not praise
    assert not domain.splits(domain.assess("门锁坏了"))
    assert not domain.splits(domain.Assessment(kind="suggestion", kind_reason="x", also=("praise",)))


# --- corrections ------------------------------------------------------------------------

def classification(**overrides) -> Classification:
    values = dict(kind="service", severity=None, major=False, serviceable=True, referral=None, department=None)
    return Classification(**{**values, **overrides})


def test_a_service_becomes_a_major_complaint_and_the_flag_is_set():
    fixed = corrections.correct(classification(), Change(kind="complaint", severity="major"), "电梯坏了")
    assert (fixed.now.kind, fixed.now.severity, fixed.now.major) == ("complaint", "major", True)
    assert fixed.before == {"kind": "service", "severity": None, "major": False}
    assert fixed.after == {"kind": "complaint", "severity": "major", "major": True}


def test_a_new_complaint_is_graded_from_its_text_and_a_major_cleared_when_downgraded():
    assert corrections.correct(classification(), Change(kind="complaint"), "顾客受伤了").now.severity == "major"
    major = classification(kind="complaint", severity="major", major=True)
    fixed = corrections.correct(major, Change(severity="minor"), "顾客受伤了")
    assert fixed.after == {"severity": "minor", "major": False}


def test_a_referral_is_overruled_and_a_new_service_is_looked_up_in_the_directory():
    referred = classification(serviceable=False, referral="city service hotline (市民热线): 12345")
    fixed = corrections.correct(referred, Change(serviceable=True, department="engineering"), STREET_LIGHT)
    assert fixed.after == {"serviceable": True, "referral": None, "department": "engineering"}
    from_praise = corrections.correct(classification(kind="praise"), Change(kind="service"), "家里燃气没有了")
    assert from_praise.now.serviceable is False and "96777" in from_praise.now.referral


def test_praise_is_credited_when_a_request_becomes_one_and_forgotten_when_it_stops():
    assert corrections.correct(classification(), Change(kind="praise"), "表扬保安小王").praised_department == "security"
    praise = classification(kind="praise")
    assert corrections.correct(praise, Change(kind="service"), "表扬保安小王", praised="security").praised_department is None


@pytest.mark.parametrize(
    ("current", "change", "field"),
    [
        (classification(), Change(kind="service"), "kind"),
        (classification(department="engineering"), Change(kind="service", department="engineering"), "kind, department"),
        (classification(), Change(), "kind, severity, department, serviceable"),
        (classification(), Change(severity="major"), "severity"),
        (classification(kind="praise"), Change(serviceable=False), "serviceable"),
        (classification(), Change(department="eng north"), "department"),
    ],
)
def test_a_correction_that_changes_nothing_or_breaks_a_rule_is_refused_naming_the_fields(current, change, field):
    with pytest.raises(Refused) as err:
        corrections.correct(current, change, "门锁坏了")
    assert err.value.field == field
