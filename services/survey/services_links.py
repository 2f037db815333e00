"""No-login survey links: issue one for a pending visit, show its question, take its answer
(channel online). The token carries plaza, visit and expiry under an HMAC; see domain_links."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.errors import Conflict, DomainError, NotFound
from libs.runtime.outbox import Tx
from services.survey import domain, domain_links, services, store

ONLINE_ACTOR = "occupant-online"


class LinkForbidden(DomainError):
    status = 403
    title = "Forbidden"


class LinkGone(DomainError):
    status = 410
    title = "Gone"


async def issue_link(conn: AsyncConnection, plaza_id: str, visit_id: str, *, secret: str, default_window_hours: int):
    """(token, claims) for a visit still waiting for its answer."""
    visit = await _visit(conn, plaza_id, visit_id)
    if visit["skip_reason"] is not None or visit["answered_at"] is not None:
        raise Conflict("only a visit waiting for its answer gets a survey link", field="id")
    policy = await services.effective_policy(conn, plaza_id, default_window_hours)
    claims = domain_links.LinkClaims(
        plaza_id=plaza_id, visit_id=visit_id,
        expires_at=services.now() + dt.timedelta(hours=policy.link_ttl_hours),
    )
    return domain_links.sign(secret, claims), claims


async def visit_for_link(conn: AsyncConnection, plaza_id: str, token: str, *, secret: str):
    claims = claims_of(token, secret, plaza_id)
    return await _visit(conn, claims.plaza_id, claims.visit_id), claims


async def answer_by_link(tx: Tx, plaza_id: str, token: str, body: services.ResponseCreate, *, secret: str):
    claims = claims_of(token, secret, plaza_id)
    online = msgspec.structs.replace(body, channel="online")
    return await services.answer_visit(tx, claims.plaza_id, claims.visit_id, online, actor=ONLINE_ACTOR)


def claims_of(token: str, secret: str, plaza_id: str) -> domain_links.LinkClaims:
    try:
        claims = domain_links.verify(secret, token, services.now())
    except domain_links.LinkRefused as exc:
        raise LinkForbidden(str(exc), field="token") from exc
    except domain_links.LinkExpired as exc:
        raise LinkGone(str(exc), field="token") from exc
    if claims.plaza_id != plaza_id:  # a link only works under its own plaza's path
        raise LinkForbidden("this link belongs to another plaza", field="token")
    return claims


async def _visit(conn: AsyncConnection, plaza_id: str, visit_id: str):
    visit = await store.get_visit(conn, plaza_id, visit_id)
    if visit is None:
        raise NotFound(f"return visit {visit_id!r} not found in plaza {plaza_id!r}", field="id")
    return visit


def question(visit) -> dict:
    """What the occupant sees: the job, the ratings to choose from, the reason codes."""
    return {
        "ratings": list(domain.RATINGS),
        "reason_codes": list(domain.REASON_CODES),
        "text": f"How satisfied are you with the {visit['department']} work on unit {visit['unit']}?",
    }
