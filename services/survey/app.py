from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.survey import api, handlers, store
from services.survey.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers, settings)
    return runtime.app([api.VisitController], title="PlazaDesk survey")
