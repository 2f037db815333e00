from __future__ import annotations

from litestar import Litestar

from libs.contracts import utcnow
from libs.runtime.service import Runtime
from services.survey import handlers, tables
from services.survey.campaigns import api as campaigns_api
from services.survey.links import api as links_api
from services.survey.links import domain as links
from services.survey.plans import api as plans_api
from services.survey.plans import services as plans
from services.survey.policy import api as policy_api
from services.survey.reports import api as reports_api
from services.survey.settings import Settings, from_env, link_secret_of
from services.survey.visits import api as visits_api

ROUTES = [
    visits_api.VisitController,
    links_api.LinkController,
    links_api.SurveyLinkController,
    policy_api.PolicyController,
    campaigns_api.CampaignController,
    plans_api.PlanController,
    reports_api.ReportController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    settings.link_secret = link_secret_of(settings)
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers, settings)
    runtime.every(settings.plan_check_s, _monthly_plans(runtime), "key-account-plans")
    app = runtime.app(ROUTES, title="PlazaDesk survey")
    app.state[links_api.LIMITER] = links.RateLimiter(settings.link_rate_per_minute)
    return app


def _monthly_plans(runtime: Runtime):
    async def job() -> None:
        async with runtime.transaction() as tx:
            await plans.generate_due_plans(tx, utcnow())

    return job
