"""Signing in and out at the console: tokens come from the staff service (the console
checks no password itself), and a person's language is kept across sessions."""

from __future__ import annotations

from libs.runtime.auth.principal import Principal
from libs.runtime.auth.tokens import InvalidToken, Verifier
from libs.runtime.db import Database
from services.console.gateway.domain import UpstreamError
from services.console.gateway.services import Calls
from services.console.session import store
from services.console.session.domain import Session, choose_plaza


class LoginRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def sign_in(calls: Calls, db: Database, verifier: Verifier, body: dict, default_language: str) -> tuple[Session, Principal]:
    """A password or an occupant's one-time link (``grant_type: magic_link``), exchanged at
    staff's POST /v1/token for the person's tokens."""
    try:
        tokens = await calls.post("staff", "/v1/token", body)
    except UpstreamError as exc:
        raise LoginRefused(exc.status, exc.detail) from None
    principal = await verifier.principal(tokens["access_token"])
    async with db.read() as conn:
        language = await store.language_of(conn, principal.sub) or default_language
    session = Session(token=tokens["access_token"], refresh=tokens.get("refresh_token"), username=principal.sub,
                      language=language, plaza=choose_plaza(principal))
    return session, principal


async def current(calls: Calls, verifier: Verifier, session: Session) -> tuple[Session, Principal] | None:
    """The session's person, the access token renewed with the refresh token once it has
    expired; None when neither holds (the person signs in again)."""
    try:
        return session, await verifier.principal(session.token)
    except InvalidToken:
        pass
    if not session.refresh:
        return None
    try:
        tokens = await calls.post("staff", "/v1/token", {"grant_type": "refresh_token", "refresh_token": session.refresh})
        principal = await verifier.principal(tokens["access_token"])
    except (UpstreamError, InvalidToken, KeyError):
        return None
    renewed = Session(token=tokens["access_token"], refresh=tokens.get("refresh_token"), username=session.username,
                      language=session.language, plaza=session.plaza)
    return renewed, principal


async def choose_language(db: Database, username: str, language: str) -> None:
    async with db.write() as conn:
        await store.set_language(conn, username, language)
