"""No-login survey links: issue one for a visit still waiting for its answer, show its
question, take its answer (channel online), once. The token carries plaza, visit, issue
time, expiry and a random link id under an HMAC; see links/domain.py. What the occupant's
side answers never holds a phone number or a full name: whoever holds the link may not be
the occupant."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.runtime.errors import Conflict, DomainError
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.survey.links import domain
from services.survey.policy import services as policy
from services.survey.visits import domain as visit_rules
from services.survey.visits import services as visits

ONLINE_ACTOR = "occupant-online"


class LinkForbidden(DomainError):
    status = 403
    title = "Forbidden"


class LinkGone(DomainError):
    status = 410
    title = "Gone"


class LinkIssued(msgspec.Struct, kw_only=True):
    token: str
    path: str  # where the occupant opens it: GET to read the question, POST to answer
    visit_id: str
    expires_at: str


class LinkQuestion(msgspec.Struct, kw_only=True):
    """What the occupant sees: the job, the ratings to choose from, the reason codes; of
    the occupant only the first character of the name (``王*``)."""

    visit_id: str
    plaza_id: str
    unit: str
    department: str
    occupant: str | None
    status: visit_rules.Status
    text: str
    ratings: list[str]
    reason_codes: list[str]
    expires_at: str


class LinkAnswered(msgspec.Struct, kw_only=True):
    """The answer as recorded, with nothing of the occupant but the masked name."""

    visit_id: str
    plaza_id: str
    unit: str
    department: str
    occupant: str | None
    status: visit_rules.Status
    answered_at: str | None
    rating: visit_rules.Rating | None
    reasons: list[str]
    comment: str | None
    channel: visit_rules.AnswerChannel | None


async def issue_link(conn: AsyncConnection, plaza_id: str, visit_id: str, *, secret: str,
                     default_window_hours: int) -> LinkIssued:
    visit = await visits.show_visit(conn, plaza_id, visit_id)
    if visit.skip_reason is not None or visit.answered_at is not None:
        raise Conflict("only a visit waiting for its answer gets a survey link", field="id")
    plaza_policy = await policy.effective_policy(conn, plaza_id, default_window_hours)
    claims = domain.new_claims(plaza_id, visit_id, visits.now(), dt.timedelta(hours=plaza_policy.link_ttl_hours))
    token = domain.sign(secret, claims)
    return LinkIssued(token=token, path=f"/v1/plazas/{plaza_id}/survey-links/{token}", visit_id=visit_id,
                      expires_at=iso(claims.expires_at))


async def question(conn: AsyncConnection, plaza_id: str, token: str, *, secret: str) -> LinkQuestion:
    claims = claims_of(token, secret, plaza_id)
    visit = await visits.show_visit(conn, claims.plaza_id, claims.visit_id)
    if visit.answered_at is not None:  # a visit answers once, so every link of it is spent
        raise Conflict(ANSWERED, field="token")
    return LinkQuestion(
        visit_id=visit.id, plaza_id=visit.plaza_id, unit=visit.unit, department=visit.department,
        occupant=domain.mask_name(visit.occupant_name), status=visit.status,
        text=f"How satisfied are you with the {visit.department} work on unit {visit.unit}?",
        ratings=list(visit_rules.RATINGS), reason_codes=list(visit_rules.REASON_CODES),
        expires_at=iso(claims.expires_at),
    )


ANSWERED = "this survey link has already been answered"


async def answer_by_link(tx: Tx, plaza_id: str, token: str, body: visits.ResponseCreate, *,
                         secret: str) -> LinkAnswered:
    claims = claims_of(token, secret, plaza_id)
    if (await visits.show_visit(tx.conn, claims.plaza_id, claims.visit_id)).answered_at is not None:
        raise Conflict(ANSWERED, field="token")  # (two answers at once: the visit's own 409)
    online = msgspec.structs.replace(body, channel="online")
    visit = await visits.answer_visit(tx, claims.plaza_id, claims.visit_id, online, actor=ONLINE_ACTOR)
    return LinkAnswered(
        visit_id=visit.id, plaza_id=visit.plaza_id, unit=visit.unit, department=visit.department,
        occupant=domain.mask_name(visit.occupant_name), status=visit.status, answered_at=visit.answered_at,
        rating=visit.rating, reasons=visit.reasons, comment=visit.comment, channel=visit.channel,
    )


def claims_of(token: str, secret: str, plaza_id: str) -> domain.LinkClaims:
    try:
        claims = domain.verify(secret, token, visits.now())
    except domain.LinkRefused as exc:
        raise LinkForbidden(str(exc), field="token") from exc
    except domain.LinkExpired as exc:
        raise LinkGone(str(exc), field="token") from exc
    if claims.plaza_id != plaza_id:  # a link only works under its own plaza's path
        raise LinkForbidden("this link belongs to another plaza", field="token")
    return claims
