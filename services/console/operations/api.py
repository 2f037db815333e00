"""The operations page (/operations): the dead letters of every service, each with its
reason and its event, replayed after a fix or discarded with a reason; every service's events
set aside (refused by the broker for good), the same way, through the service's own routes
with the operator's token; the audit trail. Operators only."""

from __future__ import annotations

from litestar import Request, get, post
from nats.errors import Error as NatsError
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.response import Redirect, Template

from services.console.gateway.domain import UpstreamError
from services.console.operations import domain
from services.console.operations import services as operations


def _operator(request: Request) -> None:
    if not domain.allowed(request.state.roles):
        raise NotAuthorizedException("operators only")


async def _page(request: Request, **extra) -> Template:
    settings = request.app.state.settings
    try:
        items = await operations.letters(settings, request.state.plaza)
        trail = await operations.audit(settings, 20)
        problem = None
    except operations.NotSetUp:
        items, trail, problem = [], [], "not_set_up"
    except (OSError, TimeoutError, NatsError) as exc:  # the bus away: said on the page
        items, trail, problem = [], [], f"unreachable: {type(exc).__name__}"
    set_aside = await operations.set_aside(request.state.calls)
    return Template("operations/index.html", context={"items": items, "trail": list(reversed(trail)),
                                                       "problem": problem, "set_aside": set_aside, "d": domain,
                                                       **extra})


@get("/operations", include_in_schema=False)
async def index(request: Request) -> Template:
    _operator(request)
    return await _page(request, done=request.query_params.get("done"))


@get("/operations/dead-letters/{seq:int}", include_in_schema=False)
async def show(request: Request, seq: int) -> Template:
    _operator(request)
    try:
        letter = await operations.letter(request.app.state.settings, seq)
    except LookupError:
        return await _page(request, refused=seq)
    return Template("operations/letter.html", context={"x": letter, "d": domain})


@post("/operations/dead-letters/{seq:int}/replay", include_in_schema=False)
async def replay(request: Request, seq: int) -> Redirect | Template:
    _operator(request)
    form = await request.form()
    try:
        await operations.replay(request.app.state.settings, seq, request.state.principal.sub,
                                (form.get("reason") or "").strip())
    except (LookupError, ValueError):
        return await _page(request, refused=seq)
    return Redirect(f"/operations?done=replayed-{seq}", status_code=303)


@post("/operations/dead-letters/{seq:int}/discard", include_in_schema=False)
async def discard(request: Request, seq: int) -> Redirect | Template:
    _operator(request)
    form = await request.form()
    reason = (form.get("reason") or "").strip()
    if not reason:
        return await _page(request, needs_reason=seq)
    try:
        await operations.discard(request.app.state.settings, seq, request.state.principal.sub, reason)
    except (LookupError, ValueError):
        return await _page(request, refused=seq)
    return Redirect(f"/operations?done=discarded-{seq}", status_code=303)


def _service(name: str) -> str:
    service = domain.set_aside_service(name)
    if service is None:
        raise NotFoundException(f"no service {name!r}")
    return service


def _refused(exc: UpstreamError) -> UpstreamError:
    if exc.status == 401:  # the session lapsed: the app sends the person to sign in
        raise exc
    return exc


@get("/operations/set-aside/{service:str}/{event_id:str}", include_in_schema=False)
async def set_aside_show(request: Request, service: str, event_id: str) -> Template:
    _operator(request)
    service = _service(service)
    try:
        event = await operations.set_aside_event(request.state.calls, service, event_id)
    except UpstreamError as exc:
        return await _page(request, set_aside_refused=_refused(exc), set_aside_id=event_id)
    return Template("operations/set_aside.html", context={"x": event, "d": domain})


@post("/operations/set-aside/{service:str}/{event_id:str}/replay", include_in_schema=False)
async def set_aside_replay(request: Request, service: str, event_id: str) -> Redirect | Template:
    _operator(request)
    service = _service(service)
    form = await request.form()
    try:
        await operations.replay_set_aside(request.state.calls, service, event_id, (form.get("reason") or "").strip())
    except UpstreamError as exc:
        return await _page(request, set_aside_refused=_refused(exc), set_aside_id=event_id)
    return Redirect(f"/operations?done=set-aside-replayed-{event_id}", status_code=303)


@post("/operations/set-aside/{service:str}/{event_id:str}/discard", include_in_schema=False)
async def set_aside_discard(request: Request, service: str, event_id: str) -> Redirect | Template:
    _operator(request)
    service = _service(service)
    form = await request.form()
    reason = (form.get("reason") or "").strip()
    if not reason:  # the service would refuse it too (422 naming reason)
        return await _page(request, set_aside_needs_reason=event_id)
    try:
        await operations.discard_set_aside(request.state.calls, service, event_id, reason)
    except UpstreamError as exc:
        return await _page(request, set_aside_refused=_refused(exc), set_aside_id=event_id)
    return Redirect(f"/operations?done=set-aside-discarded-{event_id}", status_code=303)


ROUTES = [index, show, replay, discard, set_aside_show, set_aside_replay, set_aside_discard]
