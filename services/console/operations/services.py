"""Dead letters from the console, through the console's operations NATS user (``console-ops``):
the same tools as ``plazadesk dead-letters`` (libs.runtime.deadletters), each replay and
discard audited under the signed-in operator's name. One short connection per action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nats

from libs.runtime import deadletters
from libs.runtime.bus.access import inbox_prefix
from libs.runtime.settings import nats_servers


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
