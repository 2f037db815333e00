from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.staff import handlers, tables
from services.staff.attendance import api as attendance_api
from services.staff.keys import services as keys
from services.staff.people import api as people_api
from services.staff.people import services as people
from services.staff.posts import api as posts_api
from services.staff.records import api as records_api
from services.staff.reports import api as reports_api
from services.staff.roster import api as roster_api
from services.staff.rotation import api as rotation_api
from services.staff.rotation import services as rotation
from services.staff.settings import Settings, from_env
from services.staff.tokens import api as tokens_api
from services.staff.tokens import services as tokens
from services.staff.training import api as training_api

ROUTES = [
    tokens_api.TokenController,
    tokens_api.JwksController,
    tokens_api.OccupantLinkController,
    people_api.StaffController,
    people_api.PersonController,
    posts_api.PostController,
    training_api.TrainingController,
    rotation_api.RotationController,
    roster_api.RosterController,
    attendance_api.AttendanceController,
    records_api.PostRecordController,
    reports_api.ReportController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)
    runtime.every(3600.0, lambda: tokens.drop_expired(runtime), "expired-refresh-tokens")
    # 岗位每半年轮换一次: each half-year's plan is drafted in the month before it starts.
    runtime.every(3600.0, lambda: rotation.draft_due_plans(runtime.transaction), "rotation-plans")
    keyring = keys.load_keyring(settings)
    app = runtime.app(ROUTES, title="PlazaDesk staff", own_jwks=keyring.jwks())
    app.state.keyring = keyring

    async def operator_account(_app: Litestar) -> None:
        # After the runtime's start (on_startup runs once the lifespan has entered): the
        # tables exist. A start is not served before the account is there.
        await people.bootstrap_operator(runtime.transaction, settings)

    app.on_startup.append(operator_account)
    return app
