"""No-login survey links: the occupant answers a return visit online with a signed token.

The token is ``<payload>.<signature>``, both base64url without padding; the payload is
``v2|<plaza>|<visit id>|<issued, epoch s>|<expiry, epoch s>|<link id>`` and the signature
HMAC-SHA256 of it under the deployment's link secret. The link id is random: survey keeps
the ids of the links that have answered, so a link answers once.

A signed token is still refused when it claims to live longer than ``MAX_TTL``: a leaked
secret or a bug must not yield links that work for years.

Also here: the token bucket that rate-limits the link routes per client address.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import math
import secrets

import msgspec

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
    payload = "|".join([
        VERSION, claims.plaza_id, claims.visit_id, str(int(claims.issued_at.timestamp())),
        str(int(claims.expires_at.timestamp())), claims.link_id,
    ]).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(secret: str, token: str, now: dt.datetime) -> LinkClaims:
    payload, signature = _split(token)
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise LinkRefused("this survey link is not valid")
    claims = _claims(payload)
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


def _split(token: str) -> tuple[bytes, bytes]:
    try:
        payload, signature = token.split(".")
        return _unb64(payload), _unb64(signature)
    except ValueError as exc:
        raise LinkRefused("this survey link is not valid") from exc


def _claims(payload: bytes) -> LinkClaims:
    try:
        version, plaza_id, visit_id, issued, expiry, link_id = payload.decode().split("|")
        issued_at = dt.datetime.fromtimestamp(int(issued), dt.timezone.utc)
        expires_at = dt.datetime.fromtimestamp(int(expiry), dt.timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:  # signed by us yet malformed: only a bug
        raise LinkRefused("this survey link is not valid") from exc
    if version != VERSION or not link_id:
        raise LinkRefused("this survey link is not valid")
    return LinkClaims(plaza_id=plaza_id, visit_id=visit_id, issued_at=issued_at, expires_at=expires_at,
                      link_id=link_id)


def _mac(secret: str, payload: bytes) -> bytes:
    if not secret:
        raise ValueError("a link secret must be set to sign or verify survey links")
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(str(exc)) from exc


class RateLimiter:
    """A token bucket per client address, in this process: ``per_minute`` requests in a
    burst, refilled at ``per_minute`` a minute. Each replica counts on its own (N replicas
    allow N times the rate), enough to stop guessing and scraping through one address."""

    MAX_CLIENTS = 10_000  # past this many addresses, forget those whose bucket is full again

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at, monotonic s)

    def take(self, client: str, now: float) -> int:
        """0 when the request may go on, else the whole seconds to wait (Retry-After)."""
        if len(self.buckets) >= self.MAX_CLIENTS:
            self._forget_idle(now)
        tokens, at = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            return 0
        self.buckets[client] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))

    def _forget_idle(self, now: float) -> None:
        full = now - self.capacity / self.rate
        self.buckets = {c: (t, at) for c, (t, at) in self.buckets.items() if at > full}
