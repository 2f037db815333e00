"""The open escalations of the plaza, read with the signed-in person's token."""

from __future__ import annotations

import asyncio
import datetime as dt

from services.console.escalations import domain
from services.console.work_orders import services as work_orders

READ_AT_ONCE = 8  # the whole-job reads of the composed list, so a big plaza does not flood dispatch


async def open_escalations(calls, plaza: str, level: str | None = None) -> list[dict]:
    """Dispatch's escalation list, in its shape. Composed from the work orders until dispatch
    serves ``GET …/escalations``; then this is ``_listed``."""
    return await _composed(calls, plaza, level)


async def _listed(calls, plaza: str, level: str | None) -> list[dict]:
    page = await calls.get("dispatch", f"/v1/plazas/{plaza}/escalations", level=level, open="true", limit=500)
    return page.get("items") or []


async def _composed(calls, plaza: str, level: str | None) -> list[dict]:
    listed = await work_orders.work_orders(calls, plaza, domain.OPEN_STATUSES)
    gate = asyncio.Semaphore(READ_AT_ONCE)

    async def whole(order: dict) -> dict | None:
        async with gate:
            return await calls.get_or_none("dispatch", f"/v1/plazas/{plaza}/work-orders/{order['id']}")

    orders = await asyncio.gather(*(whole(o) for o in listed if domain.may_have_escalated(o)))
    now = dt.datetime.now(dt.timezone.utc)
    items = [domain.item_of(o, now) for o in orders if o]
    return [i for i in items if i and (not level or i["level"] == level)]


async def inbox(calls, plaza: str, level: str | None, roles) -> list[dict]:
    return domain.inbox(await open_escalations(calls, plaza, level or None), level or None,
                        domain.preferred_level(roles))
