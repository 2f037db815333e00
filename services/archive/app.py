from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.archive import api, handlers, store
from services.archive.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    runtime = Runtime(settings or from_env(), store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers)
    return runtime.app([api.PlazaController, api.UnitController], title="PlazaDesk archive")
