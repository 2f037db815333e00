from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.staff import handlers, tables
from services.staff.keys import services as keys
from services.staff.people import api as people_api
from services.staff.people import services as people
from services.staff.settings import Settings, from_env
from services.staff.tokens import api as tokens_api
from services.staff.tokens import services as tokens

ROUTES = [
    tokens_api.TokenController,
    tokens_api.JwksController,
    tokens_api.OccupantLinkController,
    people_api.StaffController,
    people_api.PersonController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)
    runtime.every(3600.0, lambda: tokens.drop_expired(runtime), "expired-refresh-tokens")
    keyring = keys.load_keyring(settings)
    app = runtime.app(ROUTES, title="PlazaDesk staff", own_jwks=keyring.jwks())
    app.state.keyring = keyring

    async def operator_account(_app: Litestar) -> None:
        # After the runtime's start (on_startup runs once the lifespan has entered): the
        # tables exist. A start is not served before the account is there.
        await people.bootstrap_operator(runtime.transaction, settings)

    app.on_startup.append(operator_account)
    return app
