"""Queries on ``refresh_tokens`` and ``login_failures``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import login_failures, occupant_links, refresh_tokens
from services.staff.tokens.domain import Throttle


async def throttles(conn: AsyncConnection, keys: list[str]) -> dict[str, Throttle]:
    q = sa.select(login_failures).where(login_failures.c.key.in_(keys))
    found = {r.key: Throttle(r.failures, r.last_failure_at) for r in await conn.execute(q)}
    return {k: found.get(k, Throttle()) for k in keys}


async def put_throttle(conn: AsyncConnection, key: str, t: Throttle) -> None:
    updated = await conn.execute(login_failures.update().where(login_failures.c.key == key)
                                 .values(failures=t.failures, last_failure_at=t.last_failure_at))
    if updated.rowcount == 0:
        try:
            async with conn.begin_nested():
                await conn.execute(login_failures.insert().values(
                    key=key, failures=t.failures, last_failure_at=t.last_failure_at))
        except sa.exc.IntegrityError:  # another replica's failure of the same key came first
            await conn.execute(login_failures.update().where(login_failures.c.key == key)
                               .values(failures=login_failures.c.failures + 1, last_failure_at=t.last_failure_at))


async def forget_failures(conn: AsyncConnection, key: str) -> None:
    await conn.execute(login_failures.delete().where(login_failures.c.key == key))


async def add_refresh(conn: AsyncConnection, token_hash: str, username: str, issued_at, expires_at) -> None:
    await conn.execute(refresh_tokens.insert().values(
        token_hash=token_hash, username=username, issued_at=issued_at, expires_at=expires_at))


async def get_refresh(conn: AsyncConnection, token_hash: str):
    q = sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
    return (await conn.execute(q)).mappings().first()


async def revoke_refresh(conn: AsyncConnection, token_hash: str, now) -> bool:
    """True for the one request that revoked it (a refresh token is used once)."""
    done = await conn.execute(refresh_tokens.update().where(
        refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return done.rowcount == 1


async def add_link(conn: AsyncConnection, **values) -> None:
    await conn.execute(occupant_links.insert().values(**values))


async def get_link(conn: AsyncConnection, token_hash: str):
    q = sa.select(occupant_links).where(occupant_links.c.token_hash == token_hash)
    return (await conn.execute(q)).mappings().first()


async def use_link(conn: AsyncConnection, token_hash: str, now) -> bool:
    """True for the one request that used it (a link works once, even raced)."""
    done = await conn.execute(occupant_links.update().where(
        occupant_links.c.token_hash == token_hash, occupant_links.c.used_at.is_(None),
        occupant_links.c.expires_at > now).values(used_at=now))
    return done.rowcount == 1


async def drop_expired(conn: AsyncConnection, now, failures_before) -> None:
    """Refresh tokens and links past their lifetime, failures already forgiven: no table
    grows with every guessed username or every day of logins."""
    await conn.execute(refresh_tokens.delete().where(refresh_tokens.c.expires_at < now))
    await conn.execute(occupant_links.delete().where(occupant_links.c.expires_at < now))
    await conn.execute(login_failures.delete().where(login_failures.c.last_failure_at < failures_before))
