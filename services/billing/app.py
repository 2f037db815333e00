from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.billing import api, api_money, api_reports, handlers, services, store
from services.billing.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers)

    async def dunning_job() -> None:
        await services.run_dunning_everywhere(runtime)

    runtime.every(settings.dunning_every_s, dunning_job, "dunning-run")
    return runtime.app(
        [api.AccountController, api_money.FeeController, api_money.PrepaidController,
         api_reports.DunningController, api_reports.ReportController],
        title="PlazaDesk billing",
    )
