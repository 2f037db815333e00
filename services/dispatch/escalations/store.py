"""Queries for the escalation inbox: escalations with their work orders (tables.escalations,
tables.work_orders)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.tables import escalations, plain, work_orders
from services.dispatch.work_orders.domain import OPEN_STATUSES


async def escalated(conn: AsyncConnection, plaza_id: str, *, level: str | None = None, open_: bool | None = None) -> list[dict]:
    """Each escalation of the plaza with its job's unit, area, department, kind and status."""
    e, w = escalations.c, work_orders.c
    q = (
        sa.select(
            e.event_id, e.work_order_id, e.level, e.cause, e.reason, e.occurred_at.label("escalated_at"),
            e.to_usernames, e.on_duty,
            w.unit, w.area, w.department, w.kind, w.major, w.status, w.text,
        )
        .join(work_orders, sa.and_(w.plaza_id == e.plaza_id, w.id == e.work_order_id))
        .where(e.plaza_id == plaza_id)
    )
    if level:
        q = q.where(e.level == level)
    if open_ is not None:
        q = q.where(w.status.in_(OPEN_STATUSES) if open_ else w.status.not_in(OPEN_STATUSES))
    return [plain(r) for r in (await conn.execute(q)).mappings().all()]
