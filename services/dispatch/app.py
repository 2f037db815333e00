from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.dispatch import api, api_queues, api_reports, api_sla, api_stock, handlers, services, store
from services.dispatch import store_sla, store_stock  # noqa: F401  (their tables join store.metadata)
from services.dispatch.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers, reopen_escalate_after=settings.reopen_escalate_after)

    async def sweep_deadlines() -> None:
        async with runtime.transaction() as tx:
            await services.sweep_deadlines(tx)

    runtime.every(settings.sla_sweep_s, sweep_deadlines, "sla-sweep")
    return runtime.app(
        [
            api.WorkOrderController, api.RoutingRulesController, api_queues.DepartmentQueueController,
            api_queues.FeedbackController, api_sla.SlaPolicyController, api_stock.StockController,
            api_reports.ReportsController,
        ],
        title="PlazaDesk dispatch",
    )
