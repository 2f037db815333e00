"""No-login survey links: the occupant answers a return visit online with a signed token.

The token is ``<payload>.<signature>``, both base64url without padding; the payload is
``v1|<plaza>|<visit id>|<expiry, epoch seconds>`` and the signature HMAC-SHA256 of it under
the deployment's ``survey_link_secret``. Nothing is stored per link: whoever holds a token
the secret signed may answer that one visit once, until it expires.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac

import msgspec

VERSION = "v1"
DEFAULT_TTL = dt.timedelta(days=7)


class LinkRefused(Exception):
    """Not a token this deployment signed (or altered since): 403."""


class LinkExpired(Exception):
    """Signed by us, but past its expiry: 410."""


class LinkClaims(msgspec.Struct, frozen=True, kw_only=True):
    plaza_id: str
    visit_id: str
    expires_at: dt.datetime


def sign(secret: str, claims: LinkClaims) -> str:
    payload = f"{VERSION}|{claims.plaza_id}|{claims.visit_id}|{int(claims.expires_at.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(secret: str, token: str, now: dt.datetime) -> LinkClaims:
    payload, signature = _split(token)
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise LinkRefused("this survey link is not valid")
    claims = _claims(payload)
    if now >= claims.expires_at:
        raise LinkExpired("this survey link has expired")
    return claims


def _split(token: str) -> tuple[bytes, bytes]:
    try:
        payload, signature = token.split(".")
        return _unb64(payload), _unb64(signature)
    except ValueError as exc:
        raise LinkRefused("this survey link is not valid") from exc


def _claims(payload: bytes) -> LinkClaims:
    try:
        version, plaza_id, visit_id, expiry = payload.decode().split("|")
        expires_at = dt.datetime.fromtimestamp(int(expiry), dt.timezone.utc)
    except ValueError as exc:  # signed by us yet malformed: only a bug could make one
        raise LinkRefused("this survey link is not valid") from exc
    if version != VERSION:
        raise LinkRefused("this survey link is not valid")
    return LinkClaims(plaza_id=plaza_id, visit_id=visit_id, expires_at=expires_at)


def _mac(secret: str, payload: bytes) -> bytes:
    if not secret:
        raise ValueError("survey_link_secret must be set to sign or verify survey links")
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(str(exc)) from exc
