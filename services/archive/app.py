from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.archive import handlers, tables
from services.archive.documents import api as documents
from services.archive.register import api as register
from services.archive.settings import Settings, from_env
from services.archive.timeline import api as timeline


def create_app(settings: Settings | None = None) -> Litestar:
    runtime = Runtime(settings or from_env(), tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)
    return runtime.app(
        [register.PlazaController, register.UnitController, timeline.TimelineController, documents.DocumentController],
        title="PlazaDesk archive",
    )
