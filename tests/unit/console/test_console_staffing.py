"""The staffing page's rules: who finds it in the menu and who may decide on it."""

from __future__ import annotations

import datetime as dt

from libs.runtime.auth import Principal
from services.console.session.domain import menu
from services.console.staffing import domain


def test_the_supervisor_and_the_manager_find_the_staffing_page_a_clerk_does_not():
    keys = lambda roles: [i.key for i in menu(Principal(sub="x", plazas={"p1": frozenset(roles)}), "p1")]  # noqa: E731
    assert "staffing" in keys({"supervisor"}) and "staffing" in keys({"manager"})
    assert "staffing" not in keys({"clerk"})


def test_approvals_are_for_leads_and_days_are_the_plazas():
    assert domain.may_decide({"supervisor"}) and not domain.may_decide({"auditor"})
    late_evening_utc = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on 1 January in Shanghai
    assert domain.today(late_evening_utc) == "2027-01-01" and domain.this_month(late_evening_utc) == "2027-01"
    assert domain.pct(None) == "—" and domain.pct(100.0) == "100.0 %"
    assert domain.post_name("front_desk") == "Front desk" and domain.post_name("维修工") == "维修工"
