"""Checking a PlazaDesk webhook delivery in a department's own system (docs/webhooks.md).

Copy this function into the receiving application (it needs only the standard library):

    ok = verify(secret, request.headers["PlazaDesk-Signature"], request.body)

It recomputes ``HMAC-SHA256(secret, "<t>." + body)`` over the raw bytes received (before any
JSON parsing) and compares in constant time; a timestamp older than ``tolerance_s`` is
refused, so a captured delivery cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import time


def verify(secret: str, signature_header: str, body: bytes, *, tolerance_s: int = 300,
           now: float | None = None) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in signature_header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
