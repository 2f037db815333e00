from __future__ import annotations

from litestar import Litestar

from libs.runtime.service import Runtime
from services.notices import handlers, tables
from services.notices.activities import api as activities_api
from services.notices.delivery import domain as delivery
from services.notices.delivery import services as sending
from services.notices.notices import api as notices_api
from services.notices.settings import Settings, from_env, link_secret_of

ROUTES = [
    notices_api.NoticeController,
    notices_api.UnitNoticeController,
    notices_api.LetterController,
    notices_api.NoticeLinkController,
    activities_api.ActivityController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    settings.link_secret = link_secret_of(settings)
    adapters = delivery.adapters_for(settings.channels)
    runtime = Runtime(settings, tables.metadata, tables.outbox, tables.inbox)
    handlers.subscribe(runtime.consumers)

    async def send_job() -> None:
        await sending.send_due_messages(runtime, adapters, first_wait_s=settings.retry_after_s)

    runtime.every(settings.send_every_s, send_job, "notice-messages")
    app = runtime.app(ROUTES, title="PlazaDesk notices")
    app.state[notices_api.LIMITER] = delivery.RateLimiter(settings.link_rate_per_minute)
    app.state["notice_adapters"] = adapters
    return app
