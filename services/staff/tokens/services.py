"""Use cases of logging in: a password for a token pair, a refresh token for a new pair,
and an occupant's one-time magic link (issued by the desk) for an occupant's token.

A failed login, whatever the reason (no such person, wrong password, no password set, an
inactive person), gets the same answer after the same work, and counts against both the
username and the client address; a key past its free failures waits (``domain.wait_s``)
before the next try is even looked at."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from libs.contracts import utcnow
from libs.runtime import limits
from libs.runtime.errors import InvalidInput
from libs.contracts.subjects import InvalidToken, validate_token
from libs.runtime.service import Runtime
from services.staff.keys.domain import Keyring
from services.staff.people import services as people
from services.staff.tokens import domain, store


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``{"username", "password"}`` logs in; ``{"grant_type": "refresh_token",
    "refresh_token"}`` exchanges a refresh token (used once) for a new pair."""

    grant_type: Literal["password", "refresh_token", "magic_link"] = "password"
    username: limits.line(64) | None = None
    password: limits.line(256) | None = None
    refresh_token: limits.line(200) | None = None
    token: limits.line(200) | None = None  # grant_type magic_link: the link's token


class TokenIssued(msgspec.Struct, kw_only=True, omit_defaults=True):
    access_token: str
    token_type: str  # "bearer"; no default, so omit_defaults never drops it
    expires_in: int
    # None for an occupant's token: a link gives one hour, then the occupant asks for a new link.
    refresh_token: str | None = None
    refresh_expires_in: int | None = None


class LinkCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The unit as the clerk gives it (staff keeps no unit register; archive does): it is
    checked only as an id. ``phone``: only its last 4 digits go into the token's name."""

    unit: limits.Code
    phone: limits.Phone | None = None
    valid_days: int | None = msgspec.field(default=None)


class LinkIssued(msgspec.Struct, kw_only=True):
    token: str
    path: str
    expires_at: str


class LoginFailed(Exception):
    """401: the same words whatever failed."""


class SlowDown(Exception):
    """429: too many failures of this username or client address; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


async def login(runtime: Runtime, keyring: Keyring, username: str, password: str, address: str) -> TokenIssued:
    settings, now = runtime.settings, utcnow()
    keys = [f"user:{username}", f"addr:{address}"]
    async with runtime.read() as conn:
        throttles = await store.throttles(conn, keys)
        person, plazas = await people.person_and_plazas(conn, username)
    waits = [domain.wait_s(t, now, free=settings.login_free_failures, max_delay_s=settings.login_max_delay_s)
             for t in throttles.values()]
    if max(waits) > 0:
        raise SlowDown(max(waits))
    ok = await people.password_matches(person["password_hash"] if person is not None else None, password)
    if not domain.may_log_in(person, ok):
        async with runtime.transaction() as tx:
            for key, t in (await store.throttles(tx.conn, keys)).items():
                await store.put_throttle(tx.conn, key, domain.after_failure(t, utcnow()))
        raise LoginFailed("the username or the password is wrong")
    async with runtime.transaction() as tx:
        await store.forget_failures(tx.conn, keys[0])
        return await _issue(tx.conn, keyring, settings, person, plazas, utcnow())


async def refresh(runtime: Runtime, keyring: Keyring, refresh_token: str) -> TokenIssued:
    settings, now = runtime.settings, utcnow()
    token_hash = domain.refresh_hash(refresh_token)
    async with runtime.transaction() as tx:
        row = await store.get_refresh(tx.conn, token_hash)
        if not domain.refresh_usable(row, now) or not await store.revoke_refresh(tx.conn, token_hash, now):
            raise LoginFailed("the refresh token is not valid (expired, used, revoked or never issued)")
        person, plazas = await people.person_and_plazas(tx.conn, row["username"])
        if person is None or not person["active"]:
            raise LoginFailed("the refresh token is not valid (expired, used, revoked or never issued)")
        return await _issue(tx.conn, keyring, settings, person, plazas, now)


async def issue_link(runtime: Runtime, plaza_id: str, body: LinkCreate, *, actor: str) -> LinkIssued:
    """A one-time link for the occupant of ``body.unit``: its token is shown here once and
    kept only as its hash."""
    try:
        unit = validate_token(body.unit, "unit")
    except InvalidToken as exc:
        raise InvalidInput(str(exc), field="unit") from None
    if body.valid_days is not None and not 1 <= body.valid_days <= domain.LINK_MAX.days:
        raise InvalidInput(f"valid_days must be 1 to {domain.LINK_MAX.days}", field="valid_days")
    token, link_id = domain.new_link()
    now = utcnow()
    expires_at = now + domain.link_lifetime(body.valid_days)
    async with runtime.transaction() as tx:
        await store.add_link(tx.conn, token_hash=domain.refresh_hash(token), link_id=link_id, plaza_id=plaza_id,
                             unit=unit, name=domain.occupant_name(unit, body.phone), issued_by=actor,
                             issued_at=now, expires_at=expires_at)
    return LinkIssued(token=token, path=domain.link_path(plaza_id, token),
                      expires_at=expires_at.isoformat().replace("+00:00", "Z"))


async def exchange_link(runtime: Runtime, keyring: Keyring, token: str, address: str) -> TokenIssued:
    """A link's token, once, for an occupant's access token. Every refusal (never issued,
    forged, expired, used) is the same 401, and counts against the client address as a
    failed login does: a guesser of links is slowed down like a guesser of passwords."""
    settings, now = runtime.settings, utcnow()
    key = f"addr:{address}"
    async with runtime.read() as conn:
        throttle = (await store.throttles(conn, [key]))[key]
    wait = domain.wait_s(throttle, now, free=settings.login_free_failures, max_delay_s=settings.login_max_delay_s)
    if wait > 0:
        raise SlowDown(wait)
    token_hash = domain.refresh_hash(token)
    async with runtime.transaction() as tx:
        link = await store.get_link(tx.conn, token_hash)
        if domain.link_usable(link, now) and await store.use_link(tx.conn, token_hash, now):
            claims = domain.occupant_claims(link, issuer=settings.token_issuer, now=now,
                                            ttl_s=settings.access_token_ttl_s)
            return TokenIssued(access_token=keyring.sign(claims), token_type="bearer",
                               expires_in=settings.access_token_ttl_s)
    async with runtime.transaction() as tx:
        await store.put_throttle(tx.conn, key, domain.after_failure(throttle, utcnow()))
    raise LoginFailed("the link is not valid (expired, used or never issued); ask the front desk for a new one")


async def token(runtime: Runtime, keyring: Keyring, body: TokenRequest, address: str) -> TokenIssued:
    if body.grant_type == "magic_link":
        if not body.token:
            raise InvalidInput("grant_type magic_link needs token", field="token")
        return await exchange_link(runtime, keyring, body.token, address)
    if body.grant_type == "refresh_token":
        if not body.refresh_token:
            raise InvalidInput("grant_type refresh_token needs refresh_token", field="refresh_token")
        return await refresh(runtime, keyring, body.refresh_token)
    for field in ("username", "password"):
        if not getattr(body, field):
            raise InvalidInput(f"{field} is required to log in", field=field)
    return await login(runtime, keyring, body.username, body.password, address)


async def drop_expired(runtime: Runtime) -> None:
    now = utcnow()
    async with runtime.transaction() as tx:
        await store.drop_expired(tx.conn, now, now - domain.FORGET_AFTER)


async def _issue(conn, keyring: Keyring, settings, person, plazas, now: dt.datetime) -> TokenIssued:
    refresh_token = domain.new_refresh_token()
    await store.add_refresh(conn, domain.refresh_hash(refresh_token), person["username"], now,
                            now + dt.timedelta(seconds=settings.refresh_token_ttl_s))
    claims = domain.claims(person, plazas, issuer=settings.token_issuer, now=now, ttl_s=settings.access_token_ttl_s)
    return TokenIssued(access_token=keyring.sign(claims), token_type="bearer", expires_in=settings.access_token_ttl_s,
                       refresh_token=refresh_token, refresh_expires_in=settings.refresh_token_ttl_s)
