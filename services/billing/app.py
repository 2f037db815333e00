from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.billing import handlers, tables
from services.billing.catalogue import api as catalogue_api
from services.billing.papers import api as papers_api
from services.billing.dunning import api as dunning_api
from services.billing.dunning import services as dunning
from services.billing.fees import api as fees_api
from services.billing.ledger import api as ledger_api
from services.billing.prepaid import api as prepaid_api
from services.billing.public_share import api as public_share_api
from services.billing.reports import api as reports_api
from services.billing.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)

    async def dunning_job() -> None:
        await dunning.run_dunning_everywhere(runtime)

    runtime.every(settings.dunning_every_s, dunning_job, "dunning-run")
    return runtime.app(
        [ledger_api.AccountController, ledger_api.LedgerRequestController, fees_api.FeeController,
         prepaid_api.PrepaidController, dunning_api.DunningController, reports_api.ReportController,
         catalogue_api.CatalogueController, papers_api.PapersController,
         public_share_api.PublicShareController],
        title="PlazaDesk billing",
    )
