from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.intake import api, api_movein, handlers, store
from services.intake.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    runtime = Runtime(settings or from_env(), store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers)
    controllers = [
        api.RequestController,
        api.RulesController,
        api_movein.HandoverController,
        api_movein.RenovationController,
    ]
    return runtime.app(controllers, title="PlazaDesk intake")
