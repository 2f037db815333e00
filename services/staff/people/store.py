"""Queries on ``people`` and ``plaza_roles``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.staff.tables import people, plaza_roles, refresh_tokens

_AT_PLAZA = (sa.select(people, plaza_roles.c.roles, plaza_roles.c.plaza_id, plaza_roles.c.joined_at)
             .join(plaza_roles, plaza_roles.c.username == people.c.username))


async def get_person(conn: AsyncConnection, username: str):
    return (await conn.execute(sa.select(people).where(people.c.username == username))).mappings().first()


async def plazas_of(conn: AsyncConnection, username: str) -> dict[str, str]:
    """{plaza: stored roles} of one person."""
    q = sa.select(plaza_roles.c.plaza_id, plaza_roles.c.roles).where(plaza_roles.c.username == username)
    return {r.plaza_id: r.roles for r in await conn.execute(q)}


async def at_plaza(conn: AsyncConnection, plaza_id: str, username: str):
    q = _AT_PLAZA.where(plaza_roles.c.plaza_id == plaza_id, plaza_roles.c.username == username)
    return (await conn.execute(q)).mappings().first()


async def list_at_plaza(conn: AsyncConnection, plaza_id: str, *, after: str | None, limit: int,
                        department: str | None = None, role: str | None = None) -> list:
    q = _AT_PLAZA.where(plaza_roles.c.plaza_id == plaza_id)
    if after:
        q = q.where(people.c.username > after)
    if department:
        q = q.where(people.c.department == department)
    if role:
        # Roles are comma-joined: match the whole name, first, middle or last.
        stored = sa.literal(",") + plaza_roles.c.roles + sa.literal(",")
        q = q.where(stored.like(f"%,{role},%"))
    return list((await conn.execute(q.order_by(people.c.username).limit(limit))).mappings())


async def insert_person(conn: AsyncConnection, values: dict) -> bool:
    """False when the username is taken (another request created it first)."""
    try:
        async with conn.begin_nested():
            await conn.execute(people.insert().values(**values))
    except sa.exc.IntegrityError:
        return False
    return True


async def update_person(conn: AsyncConnection, username: str, values: dict) -> None:
    await conn.execute(people.update().where(people.c.username == username).values(**values))


async def put_plaza_roles(conn: AsyncConnection, plaza_id: str, username: str, roles: str, now) -> None:
    updated = await conn.execute(plaza_roles.update().where(
        plaza_roles.c.plaza_id == plaza_id, plaza_roles.c.username == username).values(roles=roles))
    if updated.rowcount == 0:
        await conn.execute(plaza_roles.insert().values(plaza_id=plaza_id, username=username, roles=roles, joined_at=now))


async def remove_plaza_roles(conn: AsyncConnection, plaza_id: str, username: str) -> bool:
    gone = await conn.execute(plaza_roles.delete().where(
        plaza_roles.c.plaza_id == plaza_id, plaza_roles.c.username == username))
    return gone.rowcount > 0


async def revoke_refresh_tokens(conn: AsyncConnection, username: str, now) -> None:
    """A changed password or a deactivated person: no refresh token of before works."""
    await conn.execute(refresh_tokens.update().where(
        refresh_tokens.c.username == username, refresh_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
