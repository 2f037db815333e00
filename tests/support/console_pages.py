"""One capability of the console served with its templates and words, signed in as a given
person, its calls to the services answered by a handler of the test's (httpx's
MockTransport): the pages as that person meets them, with no service running."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from litestar import Litestar, Request
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from libs.runtime.auth import Principal
from services.console.app import HERE, template_engine
from services.console.gateway.services import Gateway
from services.console.i18n import services as catalogue
from services.console.settings import Settings


def console_app(routes: list, services: Callable[[httpx.Request], httpx.Response], principal: Principal, *,
                plaza: str = "p1", token: str = "person-token", settings: Settings | None = None) -> Litestar:
    settings = settings or Settings(auth_jwks_file="unused.json")
    gateway = Gateway(settings, transport=httpx.MockTransport(services))

    async def signed_in(request: Request) -> None:
        request.state.language = "zh-CN"
        request.state.principal = principal
        request.state.plaza = plaza
        request.state.roles = principal.roles_at(plaza)
        request.state.menu = []
        request.state.calls = gateway.as_user(token)

    app = Litestar(route_handlers=routes, before_request=signed_in,
                   template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine,
                                                  engine_callback=template_engine(catalogue.load())))
    app.state.settings = settings
    return app
