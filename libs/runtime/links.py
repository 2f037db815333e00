"""Signed links a person opens without signing in (a survey's return visit, a notice's read
receipt): the token, the secret that signs it, and the per-address limit on opening them.

A token is ``<payload>.<signature>`` in base64url without padding; the payload is the
link's fields joined by ``|``, the signature HMAC-SHA256 of it under the deployment's
secret. Each service says what its fields are and what they mean (survey/links,
notices/delivery)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
import secrets
from pathlib import Path

from libs.runtime.settings import SettingsError


class BadToken(ValueError):
    """Not a token signed with this secret, or altered since."""


def check_settings(service: str, secret: str, env: str, rate_per_minute: int, signs: str) -> None:
    """The rules of a service's link settings, the same wherever links are signed: a secret
    of at least 16 characters, required in production (every replica must share it), and
    a rate of at least one a minute. ``signs``: what the secret signs, for the message."""
    name = f"{service.upper()}_LINK_SECRET"
    if secret and len(secret) < 16:
        raise SettingsError(f"{name} must be at least 16 characters")
    if env == "production" and not secret:
        raise SettingsError(f"{name} must be set in production: it signs {signs}, and every replica needs the same one")
    if rate_per_minute < 1:
        raise SettingsError("LINK_RATE_PER_MINUTE must be at least 1")


def seal(secret: str, fields: list[str]) -> str:
    payload = "|".join(fields).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def unseal(secret: str, token: str) -> list[str]:
    """The fields of a token this secret signed (``BadToken`` otherwise)."""
    try:
        payload_text, signature_text = token.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
        fields = payload.decode().split("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadToken(str(exc)) from exc
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise BadToken("the signature does not match")
    return fields


def kept_secret(data_dir: str, filename: str) -> str:
    """The secret kept in ``data_dir/filename``, generated (readable by the owner only) on
    the first start. Written aside, then linked into place: a process starting at the same
    moment finds either no file or a whole one, and the first link wins."""
    path = Path(data_dir, filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f"{filename}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


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
            full = now - self.capacity / self.rate
            self.buckets = {c: (t, at) for c, (t, at) in self.buckets.items() if at > full}
        tokens, at = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            return 0
        self.buckets[client] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))


def _mac(secret: str, payload: bytes) -> bytes:
    if not secret:
        raise ValueError("a link secret must be set to sign or verify links")
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(str(exc)) from exc
