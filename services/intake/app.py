from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.intake import handlers, tables
from services.intake.areas import api as areas
from services.intake.corrections import api as corrections
from services.intake.movein import api as movein
from services.intake.requests import api as requests
from services.intake.triage import store as triage
from services.intake.settings import Settings, from_env


def create_app(settings: Settings | None = None) -> Litestar:
    runtime = Runtime(settings or from_env(), tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)
    triage.trained()  # at start-up, not in the first clerk's request (about a second)
    controllers = [
        requests.RequestController,
        requests.RulesController,
        corrections.CorrectionController,
        areas.PublicAreasController,
        movein.HandoverController,
        movein.RenovationController,
    ]
    return runtime.app(controllers, title="PlazaDesk intake")
