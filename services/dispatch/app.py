from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.dispatch import api, handlers, store
from services.dispatch.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers, reopen_escalate_after=settings.reopen_escalate_after)
    return runtime.app(
        [api.WorkOrderController, api.RoutingRulesController], title="PlazaDesk dispatch"
    )
