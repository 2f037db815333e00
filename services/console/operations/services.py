"""Dead letters from the console, through the console's operations NATS user (``console-ops``):
the same tools as ``plazadesk dead-letters`` (libs.runtime.deadletters), each replay and
discard audited under the signed-in operator's name. One short connection per action.
Events set aside: each service's own routes, called with the operator's token (below)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import nats

from libs.runtime import deadletters
from libs.runtime.bus.access import inbox_prefix
from libs.runtime.settings import nats_servers
from services.console.gateway.domain import UpstreamError
from services.console.operations import domain


class NotSetUp(Exception):
    """The console has no password for its operations user."""


async def _with_js(settings, job: Callable[..., Awaitable]):
    if not settings.ops_nats_password:
        raise NotSetUp("CONSOLE_OPS_NATS_PASSWORD is not set")
    nc = await nats.connect(servers=nats_servers(settings.nats_url), user=settings.ops_nats_user,
                            password=settings.ops_nats_password, inbox_prefix=inbox_prefix(settings.ops_nats_user),
                            connect_timeout=5, max_reconnect_attempts=0, name="plazadesk-console-ops")
    try:
        return await job(nc.jetstream())
    finally:
        await nc.drain()


async def letters(settings, plaza: str | None) -> list:
    async def job(js):
        return [x async for x in deadletters.letters(js) if not plaza or x.plaza_id in (plaza, None)]

    return await _with_js(settings, job)


async def letter(settings, seq: int):
    return await _with_js(settings, lambda js: deadletters.show(js, seq))


async def replay(settings, seq: int, actor: str, reason: str):
    return await _with_js(settings, lambda js: deadletters.replay(js, seq, actor=actor, reason=reason))


async def discard(settings, seq: int, actor: str, reason: str):
    return await _with_js(settings, lambda js: deadletters.discard(js, seq, actor=actor, reason=reason))


async def audit(settings, limit: int = 50) -> list[dict]:
    return await _with_js(settings, lambda js: deadletters.audit_trail(js, limit))


# ---------------------------------------------------------------- events set aside
# Each service answers for its own (GET/POST /v1/ops/set-aside…, operators only), with the
# signed-in operator's token: the service checks the role and audits each replay and discard
# under that person's name itself.
SET_ASIDE = "/v1/ops/set-aside"


async def set_aside(calls) -> list[dict]:
    """Every service's events set aside: {service, items, problem}; a service that does not
    answer is said beside its name, the others are listed all the same."""

    async def one(service: str) -> dict:
        try:
            page = await calls.get(service, SET_ASIDE)
        except UpstreamError as exc:
            if exc.status == 401:  # the session lapsed: back to sign-in
                raise
            return {"service": service, "items": [], "problem": exc.detail}
        return {"service": service, "items": page.get("items") or [], "problem": None}

    return list(await asyncio.gather(*(one(s) for s in domain.SET_ASIDE_SERVICES)))


async def set_aside_event(calls, service: str, event_id: str) -> dict:
    return await calls.get(service, f"{SET_ASIDE}/{quote(event_id, safe='')}")


async def replay_set_aside(calls, service: str, event_id: str, reason: str) -> dict:
    return await calls.post(service, f"{SET_ASIDE}/{quote(event_id, safe='')}/replay", {"reason": reason})


async def discard_set_aside(calls, service: str, event_id: str, reason: str) -> dict:
    return await calls.post(service, f"{SET_ASIDE}/{quote(event_id, safe='')}/discard", {"reason": reason})
