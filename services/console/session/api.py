"""Signing in and out, the language switch, the plaza switch, and the check every page
passes first: a valid session, its token renewed when it has expired."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from libs.runtime.auth.tokens import InvalidToken
from services.console.gateway.domain import UpstreamError
from services.console.i18n.domain import LANGUAGES, N_, language_of
from services.console.session import services as sessions
from services.console.session.domain import Session, choose_plaza, home, menu, safe_next

PUBLIC = {"public": True}


def _redirect(request: Request, path: str) -> Response:
    """After a form: a full page goes there; an htmx request is told to go there."""
    if request.headers.get("hx-request"):
        return Response(b"", status_code=200, headers={"HX-Redirect": path})
    return Redirect(path, status_code=303)


async def require_session(request: Request) -> Response | None:
    """``before_request`` of the app: a page is for a signed-in person, whose principal,
    plaza, language and calls (with their token) are on ``request.state`` for the page."""
    app = request.app
    raw = request.session if "session" in request.scope else {}
    session = None
    if raw and "token" in raw:
        try:
            session = msgspec.convert(raw, Session)
        except msgspec.ValidationError:
            session = None
    request.state.language = session.language if session else language_of(
        request.headers.get("accept-language"), app.state.settings.default_language)
    request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    client = request.client.host if request.client else None
    if request.route_handler.opt.get("public"):
        request.state.session = session
        request.state.calls = app.state.gateway.as_user(None, request.state.request_id, client)
        return None
    found = None
    if session is not None:
        anonymous = app.state.gateway.as_user(None, request.state.request_id, client)
        found = await sessions.current(anonymous, app.state.verifier, session)
    if found is None:
        request.clear_session()
        if request.url.path == "/live":
            return Response({"detail": "sign in first"}, status_code=401)
        if request.url.path == "/me" or request.url.path.startswith("/me/"):
            # An occupant has no password: their hour is over, and only the desk gives a new link.
            return _redirect(request, "/me/expired")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _redirect(request, "/login?next=" + quote(target, safe=""))
    renewed, principal = found
    if renewed is not session:
        request.set_session(msgspec.to_builtins(renewed))
    plaza = choose_plaza(principal, renewed.plaza)
    request.state.session = renewed
    request.state.principal = principal
    request.state.plaza = plaza
    request.state.roles = principal.roles_at(plaza)
    request.state.menu = menu(principal, plaza)
    request.state.calls = app.state.gateway.as_user(renewed.token, request.state.request_id, client)
    return None


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login_page(request: Request, next: str | None = None) -> Template:
    return Template("session/login.html", context={"next": safe_next(next) or "", "error": None})


@post("/login", opt=PUBLIC, include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    body = {"username": str(form.get("username", "")).strip(), "password": str(form.get("password", ""))}
    return await _sign_in(request, body, safe_next(str(form.get("next") or "")))


@get("/me/sign-in", opt=PUBLIC, include_in_schema=False)
async def occupant_link(request: Request, token: str = "") -> Template:
    """An occupant's one-time link from the desk opens a page with one button: a link
    previewer (a chat app fetching the URL) must not spend it."""
    return Template("session/occupant.html", context={"token": token, "error": None})


@post("/me/sign-in", opt=PUBLIC, include_in_schema=False)
async def occupant_sign_in(request: Request) -> Response:
    form = await request.form()
    return await _sign_in(request, {"grant_type": "magic_link", "token": str(form.get("token", ""))}, "/me",
                          template="session/occupant.html")


async def _sign_in(request: Request, body: dict, next_path: str | None, template: str = "session/login.html") -> Response:
    app = request.app
    try:
        session, principal = await sessions.sign_in(request.state.calls, app.state.db, app.state.verifier, body,
                                                    app.state.settings.default_language)
    except (sessions.LoginRefused, InvalidToken) as exc:
        status = getattr(exc, "status", 401)
        error = N_("Too many attempts: please wait a moment") if status == 429 else (
            N_("The link has expired or was already used") if body.get("grant_type") == "magic_link"
            else N_("Wrong username or password"))
        if status >= 500:
            error = N_("A service is not available just now: please try again")
        return Template(template, context={"next": next_path or "", "error": error,
                                           "username": body.get("username", ""), "token": body.get("token", "")},
                        status_code=401 if status < 500 else 503)
    request.set_session(msgspec.to_builtins(session))
    return Redirect(next_path or home(principal, session.plaza), status_code=303)


@get("/me/expired", opt=PUBLIC, include_in_schema=False)
async def occupant_expired(request: Request) -> Template:
    return Template("session/occupant.html", context={"token": "", "expired": True, "error": None})


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    request.clear_session()
    return _redirect(request, "/login")


@post("/language", include_in_schema=False)
async def choose_language(request: Request) -> Response:
    """The switch in the header: kept for the person (every device they sign in on)."""
    form = await request.form()
    language = str(form.get("language", ""))
    if language not in LANGUAGES:
        return Response({"detail": f"language must be one of {', '.join(LANGUAGES)}"}, status_code=422)
    session: Session = request.state.session
    await sessions.choose_language(request.app.state.db, session.username, language)
    request.set_session(msgspec.to_builtins(msgspec.structs.replace(session, language=language)))
    return _redirect(request, safe_next(str(form.get("back") or "")) or "/")


@post("/plaza", include_in_schema=False)
async def choose_plaza_(request: Request) -> Response:
    form = await request.form()
    plaza = choose_plaza(request.state.principal, str(form.get("plaza", "")))
    request.set_session(msgspec.to_builtins(msgspec.structs.replace(request.state.session, plaza=plaza)))
    return _redirect(request, "/")


@get("/", include_in_schema=False)
async def index(request: Request) -> Redirect:
    return Redirect(home(request.state.principal, request.state.plaza), status_code=303)


@get("/no-access", include_in_schema=False)
async def no_access(request: Request) -> Template:
    return Template("session/no_access.html", context={})


def upstream_refused(request: Request, exc: UpstreamError) -> Response:
    """A service refused a page's call: the page says what and why (its problem details'
    detail, the field it names); a lapsed session goes back to sign-in."""
    if exc.status == 401:
        request.clear_session()
        return _redirect(request, "/login")
    context = {"error": exc, "status": exc.status}
    if request.headers.get("hx-request"):
        return Template("layout/flash.html", context=context, status_code=exc.status,
                        headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return Template("layout/error.html", context=context, status_code=exc.status)


ROUTES = [login_page, login, occupant_link, occupant_sign_in, occupant_expired, logout, choose_language, choose_plaza_, index, no_access]
