from __future__ import annotations

import httpx
from litestar import Litestar

from libs.runtime.service import Runtime
from services.dispatch import handlers, tables
from services.dispatch.corrections import api as corrections_api
from services.dispatch.escalations import api as escalations_api
from services.dispatch.feedback import api as feedback_api
from services.dispatch.reports import api as reports_api
from services.dispatch.routing import api as routing_api
from services.dispatch.sla import api as sla_api
from services.dispatch.stock import api as stock_api
from services.dispatch.warehouse import api as warehouse_api
from services.dispatch.settings import Settings, from_env
from services.dispatch.work_orders import api as work_orders_api
from services.dispatch.work_orders import export as work_order_export
from services.dispatch.work_orders import services as work_orders
from services.dispatch.webhooks import api as webhooks_api
from services.dispatch.webhooks import services as webhooks
from services.dispatch.webhooks.domain import BACKOFF_S


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers, reopen_escalate_after=settings.reopen_escalate_after)

    async def sweep_deadlines() -> None:
        async with runtime.transaction() as tx:
            await work_orders.sweep_deadlines(tx)

    runtime.every(settings.sla_sweep_s, sweep_deadlines, "sla-sweep")
    runtime.gauge("work_orders", work_order_export.gauge_work_orders)
    backoff = tuple(float(s) for s in settings.webhook_backoff_s.split(",") if s.strip()) or BACKOFF_S
    client = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False)

    async def send_webhooks() -> None:
        while await webhooks.deliver_due(runtime.db, client, backoff_s=backoff) == webhooks.ROUND:
            pass  # a full round: more may be due

    runtime.every(settings.webhook_round_s, send_webhooks, "webhooks")
    return runtime.app(
        [
            work_orders_api.WorkOrderController, work_orders_api.DepartmentQueueController,
            routing_api.RoutingRulesController, feedback_api.FeedbackController, sla_api.SlaPolicyController,
            stock_api.StockController, stock_api.AdjustmentController, reports_api.ReportsController,
            warehouse_api.WarehouseController,
            corrections_api.RerouteController, escalations_api.EscalationsController,
            webhooks_api.WebhooksController,
        ],
        title="PlazaDesk dispatch",
    )
