from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.survey import api, api_campaigns, api_plans, api_reports, handlers, services, services_plans, store
from services.survey.settings import Settings, from_env

ROUTES = [
    api.VisitController,
    api.LinkController,
    api.SurveyLinkController,
    api.PolicyController,
    api_campaigns.CampaignController,
    api_plans.PlanController,
    api_reports.ReportController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    # The campaign and plan tables live on store.metadata too, declared in their own modules
    # (imported through the api modules above) before the runtime creates the schema.
    runtime = Runtime(settings, store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers, settings)
    runtime.every(settings.plan_check_s, _monthly_plans(runtime), "key-account-plans")
    return runtime.app(ROUTES, title="PlazaDesk survey")


def _monthly_plans(runtime: Runtime):
    async def job() -> None:
        async with runtime.transaction() as tx:
            await services_plans.generate_due_plans(tx, services.now())

    return job
