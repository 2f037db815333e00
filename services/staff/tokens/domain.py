"""What a token says, and how failed logins are slowed down. No I/O.

Claims (every service reads exactly these): ``iss``, ``sub`` (username), ``name``, ``iat``,
``exp``, ``roles`` (global roles: operator, auditor), ``plazas`` ({plaza: roles there}),
``department`` (the person's, or null). An occupant's token (from a magic link) also has
``unit``: its ``sub`` is ``occupant:<plaza>:<unit>:<link id>``, its only role ``occupant``
at that one plaza."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

import msgspec


def claims(person, plazas: dict[str, list[str]], *, issuer: str, now: dt.datetime, ttl_s: int) -> dict:
    iat = int(now.timestamp())
    return {
        "iss": issuer, "sub": person["username"], "name": person["name"], "iat": iat, "exp": iat + ttl_s,
        "roles": [r for r in (person["global_roles"] or "").split(",") if r],
        "plazas": {p: roles for p, roles in sorted(plazas.items())},
        "department": person["department"],
    }


def may_log_in(person, password_ok: bool) -> bool:
    """The right password of an active person; the answer to anything else is the same."""
    return person is not None and password_ok and bool(person["active"])


# --- refresh tokens: random, shown once, kept only as their hash ------------------------

def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_usable(row, now: dt.datetime) -> bool:
    return row is not None and row["revoked_at"] is None and row["expires_at"] > now


# --- occupants' magic links: one-time, short-lived, kept only as their hash -------------

LINK_MAX = dt.timedelta(days=7)  # a link lives at most a week (a paper slip, an SMS)


def new_link() -> tuple[str, str]:
    """(the link's secret token, shown once; a short public id that names it in ``sub``)."""
    return secrets.token_urlsafe(32), secrets.token_hex(6)


def link_lifetime(valid_days: int | None) -> dt.timedelta:
    return min(LINK_MAX, dt.timedelta(days=valid_days)) if valid_days else LINK_MAX


def link_path(plaza: str, token: str) -> str:
    """Where the console takes the link. The token rides in the fragment, which a browser
    never sends: no access log or proxy between ever sees it."""
    return f"/occupant/{plaza}/login#token={token}"


def occupant_name(unit: str, phone: str | None) -> str:
    """The token's ``name``: the unit, and a phone's last four digits at most (never a full
    name or number: the token travels with every request)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return f"{unit} 住户/occupant" + (f" ****{digits[-4:]}" if len(digits) >= 4 else "")


def link_usable(row, now: dt.datetime) -> bool:
    return row is not None and row["used_at"] is None and row["expires_at"] > now


def occupant_claims(link, *, issuer: str, now: dt.datetime, ttl_s: int) -> dict:
    iat = int(now.timestamp())
    return {
        "iss": issuer, "sub": f"occupant:{link['plaza_id']}:{link['unit']}:{link['link_id']}",
        "name": link["name"], "iat": iat, "exp": iat + ttl_s,
        "roles": [], "plazas": {link["plaza_id"]: ["occupant"]}, "department": None, "unit": link["unit"],
    }


# --- slowing failed logins down ---------------------------------------------------------

FORGET_AFTER = dt.timedelta(hours=1)  # a quiet hour wipes a key's failures


class Throttle(msgspec.Struct, frozen=True):
    """Failed logins of one key (a username, a client address) and the latest one's time."""

    failures: int = 0
    last_failure_at: dt.datetime | None = None


def delay_after(failures: int, *, free: int = 5, max_delay_s: int = 900) -> int:
    """Seconds a key waits after its n-th failure in a row: nothing for the first ``free``
    minus one, then 1, 2, 4, 8 … up to ``max_delay_s``. Five guesses cost nothing (a
    typo, a caps lock); a thousand cost days."""
    if failures < free:
        return 0
    return min(2 ** (failures - free), max_delay_s)


def current(t: Throttle, now: dt.datetime) -> Throttle:
    if t.last_failure_at is None or now - t.last_failure_at > FORGET_AFTER:
        return Throttle()
    return t


def wait_s(t: Throttle, now: dt.datetime, *, free: int = 5, max_delay_s: int = 900) -> int:
    """Whole seconds still to wait before this key may try again (0: may try now)."""
    t = current(t, now)
    if t.last_failure_at is None:
        return 0
    until = t.last_failure_at + dt.timedelta(seconds=delay_after(t.failures, free=free, max_delay_s=max_delay_s))
    return max(0, math.ceil((until - now).total_seconds()))


def after_failure(t: Throttle, now: dt.datetime) -> Throttle:
    return Throttle(failures=current(t, now).failures + 1, last_failure_at=now)
