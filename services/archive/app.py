from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.archive import api, api_documents, api_register, api_timeline, handlers, store
from services.archive.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    runtime = Runtime(settings or from_env(), store.metadata, store.outbox, store.inbox)
    handlers.subscribe(runtime.consumers)
    return runtime.app(
        [api.PlazaController, api.UnitController, api_timeline.TimelineController, api_register.RegisterController,
         api_documents.DocumentController],
        title="PlazaDesk archive",
    )
