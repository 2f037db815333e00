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


def _render(**context) -> str:
    from types import SimpleNamespace

    from litestar.contrib.jinja import JinjaTemplateEngine

    from services.console.app import HERE, template_engine
    from services.console.i18n import services as catalogue

    engine = JinjaTemplateEngine(directory=HERE / "templates")
    template_engine(catalogue.load())(engine)
    request = SimpleNamespace(state=SimpleNamespace(language="zh-CN"))
    # The page's own block, without the layout's header (menu, session) around it.
    template = engine.engine.get_template("staffing/index.html")
    ctx = template.new_context({"request": request, "d": domain, "csrf_input": "", **context})
    return "".join(template.blocks["content"](ctx))


def test_the_page_shows_the_roster_the_gaps_the_swaps_and_the_clerks_figures_in_chinese():
    html = _render(
        roster={"week": "2026-W50", "shifts": [{"id": "s1", "username": "li.na", "post": "front_desk",
                                                 "starts_at": "2026-12-07T00:00:00Z", "ends_at": "2026-12-07T08:00:00Z"}],
                "uncovered": [{"starts_at": "2026-12-07T08:00:00Z", "ends_at": "2026-12-07T12:00:00Z"}]},
        swaps=[{"id": "w1", "from_username": "li.na", "to_username": "zhao.lei", "reason": "家里有事",
                "requested_by": "li.na"}],
        plans=[{"id": "p1", "period": "2027H1", "starts_on": "2027-01-01", "drafted_by": "wang.fang", "unstaffed": [],
                "moves": [{"username": "li.na", "from_post": "front_desk", "to_post": "cashier",
                           "training_needed": ["cashier"]}]}],
        sessions=[{"id": "t1", "course": "induction", "starts_at": "2026-01-05T01:00:00Z", "pass_mark": 80,
                   "results": [{"username": "li.na", "passed": True}]}],
        records=[{"username": "li.na", "day": "2026-12-05", "requests": 2, "calls": 2, "visits": 1, "dunning": 0,
                  "complaints": 0, "notes": [{"happened": "A-203 漏水已派工", "pending": "B-101 等回电"}], "review": None}],
        phone=[{"username": "li.na", "calls": 1, "within_three_rings_pct": 100.0, "average_answer_s": 8.0,
                "greeting_pct": 100.0, "read_back_pct": 100.0, "satisfaction_pct": None}],
        attendance=[{"username": "li.na", "shifts": 1, "worked": 1, "late": 0, "absent": 0, "hours": 7.5}],
        day="2026-12-05", month="2026-12", refused=None, may_decide=True,
    )
    for words in ("本周排班", "前台接待", "无人值守的营业时段", "zhao.lei", "批准", "收费员", "入职培训",
                  "B-101 等回电", "审核通过", "三声内接起", "100.0 %", "考勤"):
        assert words in html, words
    assert 'action="/staffing/swaps/w1/approve"' in html
