"""Queries on the roster and the people it names (tables.shifts, tables.staff)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.roster.domain import Shift
from services.dispatch.tables import plain, shifts, staff


async def keep_shifts(conn: AsyncConnection, rows: list[dict]) -> None:
    """Each shift as its newest event says (one statement for the batch): a redelivered or
    late older copy changes nothing."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(shifts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[shifts.c.plaza_id, shifts.c.shift_id],
        set_={c: sa.func.coalesce(stmt.excluded[c], shifts.c[c]) if c in _KEPT_ON_CANCEL else stmt.excluded[c]
              for c in ("username", "post", "department", "starts_at", "ends_at", "cancelled", "occurred_at")},
        where=stmt.excluded.occurred_at >= shifts.c.occurred_at,
    )
    await conn.execute(stmt, rows)


# A cancellation carries no times or post: the plan's stay on its row for the record.
_KEPT_ON_CANCEL = ("post", "starts_at", "ends_at")


async def shifts_covering(conn: AsyncConnection, plaza_id: str, at: dt.datetime) -> list[Shift]:
    """The plaza's planned (not cancelled) shifts under way at ``at``."""
    s = shifts.c
    q = sa.select(s.shift_id, s.username, s.post, s.department, s.starts_at, s.ends_at).where(
        s.plaza_id == plaza_id, sa.not_(s.cancelled), s.starts_at <= at, s.ends_at > at,
    )
    return [Shift(**plain(r)) for r in (await conn.execute(q)).mappings().all()]


async def people(conn: AsyncConnection, plaza_id: str, department: str | None = None) -> list[dict]:
    """The plaza's staff (those who left excluded), of one department when named."""
    c = staff.c
    q = sa.select(c.username, c.name, c.department, c.active, c.roles, c.post).where(c.plaza_id == plaza_id, c.at_plaza)
    if department is not None:
        q = q.where(c.department == department)
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]


async def people_named(conn: AsyncConnection, plaza_id: str, usernames: set[str]) -> dict[str, dict]:
    if not usernames:
        return {}
    c = staff.c
    q = sa.select(c.username, c.name, c.department, c.active, c.roles, c.post).where(
        c.plaza_id == plaza_id, c.at_plaza, c.username.in_(sorted(usernames)))
    return {r["username"]: plain(r) for r in (await conn.execute(q)).mappings().all()}
