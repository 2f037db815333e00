"""No-login survey links: the occupant answers a return visit online with a signed token.

The token is ``<payload>.<signature>``, both base64url without padding; the payload is
``v2|<plaza>|<visit id>|<issued, epoch s>|<expiry, epoch s>|<link id>`` and the signature
HMAC-SHA256 of it under the deployment's link secret. The link id is random: survey keeps
the ids of the links that have answered, so a link answers once.

A signed token is still refused when it claims to live longer than ``MAX_TTL``: a leaked
secret or a bug must not yield links that work for years.

The token's sealing and the per-address limit on the link routes are libs/runtime/links.py's.
"""

from __future__ import annotations

import datetime as dt
import secrets

import msgspec

from libs.runtime import links
from libs.runtime.links import RateLimiter  # noqa: F401  (the link routes' limit, shared with notices)
from services.survey.policy import domain as policy

VERSION = "v2"
MAX_TTL = dt.timedelta(hours=policy.MAX_LINK_TTL_HOURS)
# Clocks of two replicas may differ a little; a link issued "in the future" by more than
# this was not issued by us.
CLOCK_SKEW = dt.timedelta(minutes=5)


class LinkRefused(Exception):
    """Not a token this deployment signed (or altered since, or claiming too long a life): 403."""


class LinkExpired(Exception):
    """Signed by us, but past its expiry: 410."""


class LinkClaims(msgspec.Struct, frozen=True, kw_only=True):
    plaza_id: str
    visit_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    link_id: str


def new_claims(plaza_id: str, visit_id: str, now: dt.datetime, ttl: dt.timedelta) -> LinkClaims:
    """A new link's claims, its lifetime cut to ``MAX_TTL`` (a policy stored before the bound)."""
    now = now.replace(microsecond=0)
    return LinkClaims(plaza_id=plaza_id, visit_id=visit_id, issued_at=now, expires_at=now + min(ttl, MAX_TTL),
                      link_id=secrets.token_urlsafe(12))


def sign(secret: str, claims: LinkClaims) -> str:
    return links.seal(secret, [
        VERSION, claims.plaza_id, claims.visit_id, str(int(claims.issued_at.timestamp())),
        str(int(claims.expires_at.timestamp())), claims.link_id,
    ])


def verify(secret: str, token: str, now: dt.datetime) -> LinkClaims:
    try:
        fields = links.unseal(secret, token)
    except links.BadToken as exc:
        raise LinkRefused("this survey link is not valid") from exc
    claims = _claims(fields)
    if claims.expires_at - claims.issued_at > MAX_TTL or claims.expires_at > now + MAX_TTL + CLOCK_SKEW:
        raise LinkRefused(f"this survey link claims to live longer than {MAX_TTL.days} days")
    if claims.issued_at > now + CLOCK_SKEW:
        raise LinkRefused("this survey link is not valid yet")
    if now >= claims.expires_at:
        raise LinkExpired("this survey link has expired")
    return claims


def mask_name(name: str | None) -> str | None:
    """What the link's page may show of the occupant: the first character and a star."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else None


def _claims(fields: list[str]) -> LinkClaims:
    try:
        version, plaza_id, visit_id, issued, expiry, link_id = fields
        issued_at = dt.datetime.fromtimestamp(int(issued), dt.timezone.utc)
        expires_at = dt.datetime.fromtimestamp(int(expiry), dt.timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:  # signed by us yet malformed: only a bug
        raise LinkRefused("this survey link is not valid") from exc
    if version != VERSION or not link_id:
        raise LinkRefused("this survey link is not valid")
    return LinkClaims(plaza_id=plaza_id, visit_id=visit_id, issued_at=issued_at, expires_at=expires_at,
                      link_id=link_id)
