"""Campaign sampling and statistics, key-account plans and survey-link tokens: pure rules."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.runtime import foureyes
from services.survey.campaigns import domain as dc
from services.survey.links import domain as domain_links
from services.survey.plans import domain as domain_plans
from services.survey.policy import domain as policy

UTC = dt.timezone.utc


def units(spec: dict[tuple[str, str], int]) -> list[dc.SampleUnit]:
    return [dc.SampleUnit(unit=f"{b}-{k[0]}{i:03d}", building=b, occupant_kind=k)
            for (b, k), n in spec.items() for i in range(n)]


def test_building_comes_from_archive_or_else_the_unit_prefix():
    assert dc.building_of("A-203") == "A"
    assert dc.building_of("T2-1801", "Tower 2") == "Tower 2"
    assert dc.building_of("kiosk7") == "kiosk7"


def test_allocation_is_proportional_with_largest_remainders():
    # 5 of 10 (7+2+1): quotas 3.5, 1.0, 0.5 → floors 3, 1, 0; one left, to the largest
    # remainder; 3.5 and 0.5 tie, and the stratum that sorts first wins.
    assert dc.allocate({("A", "m"): 7, ("B", "m"): 2, ("C", "r"): 1}, 5) == {("A", "m"): 4, ("B", "m"): 1, ("C", "r"): 0}
    assert dc.allocate({("A", "m"): 3, ("B", "r"): 2}, 9) == {("A", "m"): 3, ("B", "r"): 2}  # everyone
    with pytest.raises(dc.CampaignRefused):
        dc.allocate({("A", "m"): 3}, 0)


@given(st.dictionaries(st.tuples(st.sampled_from("ABCD"), st.sampled_from(["merchant", "resident"])),
                       st.integers(1, 300), min_size=1), st.integers(1, 1500))
def test_allocation_adds_up_and_never_strays_a_whole_unit_from_the_quota(strata, size):
    shares = dc.allocate(strata, size)
    total = sum(strata.values())
    assert sum(shares.values()) == min(size, total)
    for key, n in strata.items():
        assert 0 <= shares[key] <= n
        if size < total:
            assert abs(shares[key] - size * n / total) < 1


def test_sample_is_stratified_and_the_same_seed_draws_the_same_units():
    population = units({("A", "merchant"): 60, ("A", "resident"): 20, ("B", "resident"): 20})
    sample = dc.draw_sample(population, 10, seed=42)
    assert Counter(u.stratum for u in sample) == {("A", "merchant"): 6, ("A", "resident"): 2, ("B", "resident"): 2}
    assert dc.draw_sample(list(reversed(population)), 10, seed=42) == sample
    assert dc.draw_sample(population, 10, seed=43) != sample


def test_no_units_no_sample():
    with pytest.raises(dc.CampaignRefused):
        dc.draw_sample([], 10, seed=1)


@pytest.mark.parametrize(("value", "level"), [(5, "satisfied"), (4, "satisfied"), (3, "basically_satisfied"), (2, "unsatisfied"), (1, "unsatisfied")])
def test_five_point_scores_map_to_levels(value, level):
    assert dc.level_of("five_point", value, "x") == level


@pytest.mark.parametrize(("scale", "value"), [("five_point", 0), ("five_point", 6), ("five_point", True), ("five_point", "5"), ("three_level", 5), ("three_level", "great")])
def test_bad_answers_are_refused_naming_the_dimension(scale, value):
    with pytest.raises(dc.CampaignRefused) as refused:
        dc.score_answers(scale, policy.DEFAULT_DIMENSIONS, {"repairs": value})
    assert refused.value.field == "answers.repairs"


def test_tally_rates_count_basically_satisfied_as_pleased():
    tallies = dc.tally([(("cleaning",), "satisfied", 2), (("cleaning",), "basically_satisfied", 1), (("cleaning",), "unsatisfied", 1)])
    assert tallies[("cleaning",)].rate == 0.75 and tallies[("cleaning",)].answered == 4
    assert dc.Tally().rate is None


def test_trend_is_month_over_month():
    assert dc.trend({"2026-11": 0.8, "2026-09": None, "2026-10": 0.5}) == [
        ("2026-09", None, None), ("2026-10", 0.5, None), ("2026-11", 0.8, 0.3)]


def test_month_bounds_follow_the_plaza_time_zone():
    lo, hi = dc.month_bounds("2026-12", zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert lo == dt.datetime(2026, 11, 30, 16, tzinfo=UTC) and hi == dt.datetime(2026, 12, 31, 16, tzinfo=UTC)
    with pytest.raises(dc.CampaignRefused):
        dc.month_bounds("2026-13", UTC)


def test_duplicate_or_badly_named_dimensions_are_refused():
    with pytest.raises(policy.PolicyRefused):
        policy.check_dimensions([policy.DEFAULT_DIMENSIONS[0], policy.DEFAULT_DIMENSIONS[0]])
    with pytest.raises(policy.PolicyRefused):
        policy.check_dimensions([policy.Dimension(code="Bad Code", label="x", department="y")])


# --- key-account plans -----------------------------------------------------------------

def test_plan_spreads_visits_over_the_month_in_unit_order():
    assert domain_plans.schedule(["B", "A"], "2027-02") == [("A", dt.date(2027, 2, 1)), ("B", dt.date(2027, 2, 15))]


def test_plan_lifecycle_rules():
    assert domain_plans.approve("draft", "clerk-li", "supervisor-zhang") == "approved"
    with pytest.raises(domain_plans.PlanRefused):
        domain_plans.approve("approved", "clerk-li", "supervisor-zhang")
    with pytest.raises(domain_plans.PlanRefused):
        domain_plans.check_outcome("draft", None, "completed")
    with pytest.raises(domain_plans.PlanRefused):
        domain_plans.check_outcome("approved", "completed", "declined")
    assert domain_plans.status_after("approved", ["completed", None]) == "approved"
    assert domain_plans.status_after("approved", ["completed", "declined"]) == "completed"


def test_whoever_drafted_a_plan_cannot_approve_it():
    with pytest.raises(foureyes.FourEyesRefused, match="^four eyes: ") as refused:
        domain_plans.approve("draft", "clerk-li", "clerk-li")
    assert refused.value.status == 403
    # The hourly job drafts as "survey": any supervisor may approve its plans.
    assert domain_plans.approve("draft", "survey", "supervisor-zhang") == "approved"


def test_completion_counts_only_completed_visits_as_done():
    figures = domain_plans.completion(["completed", "not_reached", None, "completed"])
    assert (figures.planned, figures.recorded, figures.completed, figures.completion_rate) == (4, 3, 2, 0.5)


# --- survey links ----------------------------------------------------------------------

SECRET = "unit-test-secret-0123456789"
NOW = dt.datetime(2026, 11, 27, 9, tzinfo=UTC)
CLAIMS = domain_links.new_claims("p1", "v-1", NOW, dt.timedelta(days=7))


def test_a_signed_link_verifies_to_its_claims_until_it_expires():
    token = domain_links.sign(SECRET, CLAIMS)
    assert domain_links.verify(SECRET, token, NOW) == CLAIMS
    with pytest.raises(domain_links.LinkExpired):
        domain_links.verify(SECRET, token, CLAIMS.expires_at)


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace(t[3], "A" if t[3] != "A" else "B", 1),
    lambda t: t + "x",
    lambda t: t.split(".")[0],
    lambda t: "..",
    lambda t: "€.€",
])
def test_an_altered_token_is_refused(mangle):
    with pytest.raises(domain_links.LinkRefused):
        domain_links.verify(SECRET, mangle(domain_links.sign(SECRET, CLAIMS)), NOW)


def test_a_link_lives_a_month_at_most():
    assert domain_links.new_claims("p1", "v-1", NOW, dt.timedelta(days=90)).expires_at == NOW + dt.timedelta(days=30)
    forever = msgspec.structs.replace(CLAIMS, expires_at=NOW + dt.timedelta(days=3650))
    with pytest.raises(domain_links.LinkRefused, match="longer than 30 days"):
        domain_links.verify(SECRET, domain_links.sign(SECRET, forever), NOW)  # signed, yet refused
    early = msgspec.structs.replace(CLAIMS, issued_at=NOW + dt.timedelta(days=1))
    with pytest.raises(domain_links.LinkRefused):
        domain_links.verify(SECRET, domain_links.sign(SECRET, early), NOW)


def test_every_link_has_its_own_id():
    assert CLAIMS.link_id != domain_links.new_claims("p1", "v-1", NOW, dt.timedelta(days=7)).link_id


def test_the_page_shows_only_the_first_character_of_a_name():
    assert [domain_links.mask_name(n) for n in ("王小明", " Li Ming", "", None)] == ["王*", "L*", None, None]


def test_the_token_bucket_lets_a_burst_through_then_says_how_long_to_wait():
    limiter = domain_links.RateLimiter(30)
    assert [limiter.take("10.0.0.1", 100.0) for _ in range(30)] == [0] * 30
    assert limiter.take("10.0.0.1", 100.0) == 2  # one token every 2 s
    assert limiter.take("10.0.0.2", 100.0) == 0  # another address has its own bucket
    assert limiter.take("10.0.0.1", 102.0) == 0


def test_another_secret_signs_a_token_we_refuse():
    with pytest.raises(domain_links.LinkRefused):
        domain_links.verify(SECRET, domain_links.sign("someone-elses-secret", CLAIMS), NOW)
