from __future__ import annotations

import logging
import os
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import pass_context
from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from libs.runtime import logging as log
from libs.runtime.auth.tokens import InvalidToken, verifier_for
from libs.runtime.db import Database, migrate
from libs.runtime.http import RequestContext
from services.console import handlers, tables
from services.console.attendance import api as attendance_api
from services.console.billing import api as billing_api
from services.console.desk import api as desk_api
from services.console.escalations import api as escalations_api
from services.console.operations import api as operations_api
from services.console.feedback import api as feedback_api
from services.console.gateway.domain import UpstreamError
from services.console.gateway.domain import summary as upstream_summary
from services.console.gateway.services import Gateway
from services.console.i18n import domain as words
from services.console.i18n import services as catalogue
from services.console.live import api as live_api
from services.console.live.services import Hub
from services.console.movein import api as movein_api
from services.console.notices import api as notices_api
from services.console.occupant import api as occupant_api
from services.console.reports import api as reports_api
from services.console.session import api as session_api
from services.console.settings import Settings, from_env
from services.console.staffing import api as staffing_api
from services.console.units import api as units_api
from services.console.visits import api as visits_api
from services.console.work_orders import api as work_orders_api

HERE = Path(__file__).resolve().parent
# htmx and its SSE extension, installed from the npm registry at set-up (package.json).
VENDOR = {"htmx.min.js": HERE / "node_modules/htmx.org/dist/htmx.min.js",
          "sse.min.js": HERE / "node_modules/htmx-ext-sse/dist/sse.min.js"}

# Page capabilities add their routes here.
ROUTES: list = [
    *session_api.ROUTES, live_api.live,
    *attendance_api.ROUTES,
    *desk_api.ROUTES,
    *work_orders_api.ROUTES,
    *visits_api.ROUTES,
    *escalations_api.ROUTES,
    *operations_api.ROUTES,
    *feedback_api.ROUTES,
    *units_api.ROUTES,
    *movein_api.ROUTES,
    *billing_api.ROUTES,
    *reports_api.ROUTES,
    *notices_api.ROUTES,
    *staffing_api.ROUTES,
    *occupant_api.ROUTES,
]

logger = log.get("console")


def session_key(settings: Settings) -> bytes:
    """The cookie key: the named file, else DATA_DIR/console-session-key made once (0600)."""
    path = Path(settings.session_key_file or Path(settings.data_dir) / "console-session-key")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    key = bytes.fromhex(path.read_text().strip())
    if len(key) not in (16, 24, 32):
        raise ValueError(f"{path}: the session key must be 16, 24 or 32 bytes as hex")
    return key


def vendor_assets() -> dict[str, Path]:
    missing = [str(p) for p in VENDOR.values() if not p.is_file()]
    if missing:
        raise RuntimeError("the console's browser assets are not installed (run `make`, which runs "
                           f"`npm ci` in services/console): missing {', '.join(missing)}")
    return VENDOR


def template_engine(catalogue_: catalogue.Catalogue):
    def setup(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.globals["_"] = pass_context(lambda ctx, message, **values: catalogue_.gettext(
            _language(ctx), message, **values))
        for name in ("money", "date", "datetime", "minutes"):
            env.filters[name] = pass_context(
                lambda ctx, value, _f=getattr(words, name): _f(value, _language(ctx)))
        env.globals["summary"] = upstream_summary
        env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return setup


def _language(ctx) -> str:
    request = ctx.get("request")
    return getattr(request.state, "language", "zh-CN") if request is not None else "zh-CN"


def ops_routes(db: Database, hub: Hub, verifier) -> list:
    @get("/health", opt=session_api.PUBLIC, include_in_schema=False, sync_to_thread=False)
    def health() -> dict:
        return {"status": "ok"}

    @get("/ready", opt=session_api.PUBLIC, include_in_schema=False)
    async def ready() -> Response:
        checks = {"database": await db.ping(), "nats": hub.connected}
        ok = all(checks.values())
        return Response({"status": "ready" if ok else "not ready", "checks": checks, "pid": os.getpid()},
                        status_code=200 if ok else 503)

    @get("/metrics", opt=session_api.PUBLIC, include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # As every service's: an operator's or an auditor's bearer token.
        bearer = request.headers.get("authorization", "")
        try:
            who = await verifier.principal(bearer.removeprefix("Bearer ").strip()) if bearer else None
        except InvalidToken:
            who = None
        if who is None:
            return Response({"detail": "a bearer token is needed"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if not who.roles & {"operator", "auditor"}:
            return Response({"detail": "operator or auditor only"}, status_code=403)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [health, ready, metrics]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    log.configure(settings.log_level, settings.log_json, settings.service)
    # httpx logs every call at info: a line per upstream call of every page is noise here
    # (the services log their own requests).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    key = session_key(settings)
    db = Database(settings.database_url, schema=settings.database_schema)
    gateway = Gateway(settings)
    hub = Hub()
    verifier = verifier_for(settings)
    words_ = catalogue.load()

    @asynccontextmanager
    async def lifespan(app: Litestar):
        await migrate.require_head(db, tables.metadata, "console")  # tables: python -m scripts.migrate
        await hub.connect(settings.nats_url, settings.nats_user, settings.nats_password)
        await handlers.subscribe(hub)
        logger.info("service_started", service="console", port=settings.http_port)
        try:
            yield
        finally:
            await hub.close()
            await gateway.close()
            await db.dispose()

    app = Litestar(
        route_handlers=[
            *ROUTES, *ops_routes(db, hub, verifier),
            create_static_files_router("/static", directories=[HERE / "static"], opt=session_api.PUBLIC,
                                       include_in_schema=False),
            create_static_files_router("/static/vendor", directories=[p.parent for p in vendor_assets().values()],
                                       opt=session_api.PUBLIC, include_in_schema=False),
        ],
        lifespan=[lifespan],
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=template_engine(words_)),
        middleware=[RequestContext("console"),
                    CookieBackendConfig(secret=key, key="plazadesk_session", httponly=True, samesite="lax",
                                        secure=settings.secure_cookies, max_age=settings.session_max_age_s).middleware],
        csrf_config=CSRFConfig(secret=key.hex(), cookie_name="plazadesk_csrf", header_name="x-csrftoken",
                               cookie_httponly=True, cookie_samesite="lax", cookie_secure=settings.secure_cookies),
        before_request=session_api.require_session,
        exception_handlers={UpstreamError: session_api.upstream_refused},
        openapi_config=None,
        debug=False,
        logging_config=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.gateway = gateway
    app.state.hub = hub
    app.state.verifier = verifier
    app.state.catalogue = words_
    return app
