"""The desk's partials as the clerk reads them, rendered with the console's own templates
and Chinese words: intake's proposal while typing and the recorded request."""

from __future__ import annotations

from types import SimpleNamespace

from litestar.contrib.jinja import JinjaTemplateEngine

from services.console.app import HERE, template_engine
from services.console.desk import domain
from services.console.i18n import services as catalogue


def render(name: str, **context) -> str:
    engine = JinjaTemplateEngine(directory=HERE / "templates")
    template_engine(catalogue.load())(engine)
    request = SimpleNamespace(state=SimpleNamespace(language="zh-CN"))
    return engine.engine.get_template(name).render(request=request, csrf_input="", **{"d": domain, **context})


PROPOSAL = {"kind": "complaint", "kind_reason": "“投诉”", "severity": "major", "severity_reason": "“受伤”",
            "major": True, "department": "customer_service", "priority": "urgent", "serviceable": True,
            "referral": None, "also": ["praise"]}


def test_the_proposal_names_a_major_complaint_its_department_and_what_else_the_text_holds():
    html = render("desk/proposal.html", proposal=PROPOSAL)
    for words in ("投诉", "重大投诉", "客服部", "加急", "表扬", "受伤"):
        assert words in html


def test_a_text_the_plaza_cannot_serve_shows_the_referral_number():
    html = render("desk/proposal.html", proposal={**PROPOSAL, "major": False, "severity": None, "kind": "service",
                                                 "serviceable": False, "referral": "燃气公司 96777", "also": []})
    assert "不能服务" in html and "燃气公司 96777" in html and "重大投诉" not in html


def test_no_proposal_shows_nothing():
    assert render("desk/proposal.html", proposal=None).strip() == ""


def test_the_recorded_request_shows_its_number_the_referral_and_the_praise_recorded_beside_it():
    answer = {"id": "01ab-cd", "kind": "service", "serviceable": False, "referral": "96777",
              "also": [{"id": "01ab-ce", "kind": "praise"}]}
    html = render("desk/panel.html", answer=answer, also=domain.also_kinds(answer), form={"channel": "phone", "about": "unit"},
                  errors={}, idempotency_key="k", areas=[])
    assert 'data-testid="request-id">01ab-cd<' in html
    assert "96777" in html and "同时记为 表扬" in html
