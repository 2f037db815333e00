"""Queries on the plaza's routing table (tables.routing_rules)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import routing_rules


async def get_routing_rules(conn: AsyncConnection, plaza_id: str) -> list[dict]:
    return (await routing_rules_of(conn, [plaza_id]))[plaza_id]


async def routing_rules_of(conn: AsyncConnection, plaza_ids) -> dict[str, list[dict]]:
    """Each plaza's own table in order (empty while it has none), in one query."""
    out: dict[str, list[dict]] = {p: [] for p in plaza_ids}
    if not out:
        return out
    r = routing_rules.c
    q = sa.select(r.plaza_id, r.position, r.keyword, r.department).where(r.plaza_id.in_(list(out))).order_by(r.plaza_id, r.position)
    for plaza_id, position, keyword, department in (await conn.execute(q)).all():
        out[plaza_id].append({"position": position, "keyword": keyword, "department": department})
    return out


async def replace_routing_rules(conn: AsyncConnection, plaza_id: str, rules: list[dict]) -> None:
    await conn.execute(routing_rules.delete().where(routing_rules.c.plaza_id == plaza_id))
    if rules:
        await conn.execute(
            routing_rules.insert(),
            [{"plaza_id": plaza_id, "position": i, **rule} for i, rule in enumerate(rules, start=1)],
        )
