"""Who sees which pages and which live updates: the console's rules over a principal."""

from __future__ import annotations

from libs.runtime.auth.principal import Principal
from services.console.live.domain import change_of, may_see, wanted_topics
from services.console.session.domain import choose_plaza, home, menu, safe_next

CLERK = Principal(sub="li", plazas={"p1": frozenset({"clerk"})})
ENGINEER = Principal(sub="zhang", plazas={"p1": frozenset({"staff"})}, department="engineering")
MANAGER = Principal(sub="zhao", plazas={"p1": frozenset({"manager"}), "p2": frozenset({"manager"})})
OCCUPANT = Principal(sub="occupant:A-203", plazas={"p1": frozenset({"occupant"})}, unit="A-203")
OPERATOR = Principal(sub="operator", roles=frozenset({"operator"}))


def keys(principal, plaza="p1"):
    return [item.key for item in menu(principal, plaza)]


def test_each_role_gets_its_own_pages_first():
    assert keys(CLERK)[0] == "desk" and "reports" not in keys(CLERK)
    assert keys(ENGINEER) == ["work_orders"]
    assert "escalations" in keys(MANAGER) and "reports" in keys(MANAGER)
    assert keys(OCCUPANT) == ["me"]
    assert home(ENGINEER, "p1") == "/work-orders"
    assert home(Principal(sub="nobody"), "p1") == "/no-access"


def test_the_plaza_is_one_the_token_holds():
    assert choose_plaza(MANAGER, "p2") == "p2"
    assert choose_plaza(MANAGER, "elsewhere") == "p1"
    assert choose_plaza(OPERATOR, "p9") == "p9", "a global role holds every plaza"


def test_after_signing_in_only_a_path_of_the_console():
    assert safe_next("/work-orders?status=created") == "/work-orders?status=created"
    for hostile in ("https://evil.example/", "//evil.example", "/\\evil.example", "", None):
        assert safe_next(hostile) is None


def test_a_subject_says_topic_plaza_and_department():
    change = change_of("plazadesk.dispatch.p1.engineering.work_order.created")
    assert (change.topic, change.plaza, change.department) == ("work-orders", "p1", "engineering")
    assert change_of("plazadesk.survey.p1.visit.scheduled").topic == "visits"
    assert change_of("plazadesk.deadletter.dispatch.x") is None
    assert change_of("other.subject") is None


def test_department_staff_hear_only_their_departments_work_orders():
    ours = change_of("plazadesk.dispatch.p1.engineering.work_order.created")
    theirs = change_of("plazadesk.dispatch.p1.security.work_order.created")
    assert may_see(ENGINEER, ours) and not may_see(ENGINEER, theirs)
    assert may_see(CLERK, theirs)
    assert not may_see(CLERK, change_of("plazadesk.dispatch.p2.security.work_order.created")), "another plaza"
    assert may_see(OPERATOR, theirs)


def test_a_page_listens_to_the_topics_it_names():
    assert wanted_topics("work-orders,visits") == {"work-orders", "visits"}
    assert wanted_topics("nonsense") == wanted_topics(None), "unknown topics: every topic"
