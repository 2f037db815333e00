"""The work-order pages' reads and actions, composed from dispatch (work orders, stock),
the staff service (who may be assigned) and archive (the unit's timeline), always with the
signed-in person's token."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from services.console.gateway.domain import UpstreamError
from services.console.work_orders import domain

PAGE = 500
MAX_PAGES = 4  # a status with more than 2,000 open jobs shows its first 2,000


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def _all_of(calls, plaza: str, **filters) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = await calls.get("dispatch", f"/v1/plazas/{plaza}/work-orders", limit=PAGE, cursor=cursor, **filters)
        items.extend(page.get("items") or [])
        cursor = page.get("next")
        if not cursor:
            break
    return items


async def work_orders(calls, plaza: str, statuses: tuple[str, ...], department: str | None = None) -> list[dict]:
    """The plaza's work orders of these statuses: the open ones in one call (``open=true``),
    else one call per status, merged."""
    if set(statuses) == set(domain.OPEN_STATUSES):
        return await _all_of(calls, plaza, open="true", department=department)
    pages = await asyncio.gather(*(_all_of(calls, plaza, status=s, department=department) for s in statuses))
    return [order for page in pages for order in page]


async def queue(calls, plaza: str, status: str | None, department: str | None, deadline: str | None) -> list[dict]:
    orders = await work_orders(calls, plaza, domain.statuses_of(status), department or None)
    return domain.queue_rows(orders, deadline, now())


async def work_order(calls, plaza: str, work_order_id: str) -> dict:
    return await calls.get("dispatch", f"/v1/plazas/{plaza}/work-orders/{work_order_id}")


async def assignable(calls, plaza: str, department: str) -> list[dict] | None:
    """The active staff of the department, or None when the person may not list staff (then
    the form takes a username)."""
    try:
        page = await calls.get("staff", f"/v1/plazas/{plaza}/staff", department=department, limit=500)
    except UpstreamError as exc:
        if exc.status in (401, 403):
            return None
        raise
    return [p for p in page.get("items") or [] if p.get("active")]


async def offered(calls, plaza: str, work_order_id: str) -> dict | None:
    """Whom dispatch offers the job to now (on shift while its roster covers now); None where
    dispatch does not say (then the department's active staff are offered as before)."""
    try:
        return await calls.get("dispatch", f"/v1/plazas/{plaza}/work-orders/{work_order_id}/assignees")
    except UpstreamError:
        return None


async def stock(calls, plaza: str) -> list[dict]:
    page = await calls.get("dispatch", f"/v1/plazas/{plaza}/stock", limit=500)
    return page.get("items") or [] if isinstance(page, dict) else list(page or [])


async def timeline(calls, plaza: str, order: dict) -> list[dict]:
    """The unit's record of this job (its request, the job, its visits: one correlation),
    else, for whoever may not read the unit's record, the job's own dates."""
    try:
        page = await calls.get("archive", f"/v1/plazas/{plaza}/units/{order['unit']}/timeline",
                               kind=["request", "work_order", "visit"], limit=1000)
    except UpstreamError as exc:
        if exc.status in (401, 403, 404):
            return domain.own_history(order)
        raise
    return domain.recorded_history(page.get("items") or [], order["request_id"]) or domain.own_history(order)


async def page_of(calls, plaza: str, work_order_id: str, roles) -> dict[str, Any]:
    """Everything the work order's page shows; the forms' choices only where an action is offered."""
    order = await work_order(calls, plaza, work_order_id)
    actions = domain.actions_for(order["status"], roles)
    staff, on_duty, items, history = await asyncio.gather(
        assignable(calls, plaza, order["department"]) if "assign" in actions else _nothing(),
        offered(calls, plaza, work_order_id) if "assign" in actions else _nothing(),
        stock(calls, plaza) if "resolve" in actions else _nothing(),
        timeline(calls, plaza, order),
    )
    staff = domain.on_shift_only(staff, on_duty)
    return {"order": order, "actions": actions, "staff": staff, "stock": items or [], "history": history,
            "sla": domain.sla_colour(order, now())}


async def _nothing() -> None:
    return None


async def act(calls, plaza: str, work_order_id: str, action: str, form: dict[str, Any]) -> dict:
    """One lifecycle action; refusals (the console's or the service's) raise."""
    body = domain.action_body(action, form)
    if action == "reclassify":
        request_id = str(form.get("request_id") or "")
        return await calls.post("intake", f"/v1/plazas/{plaza}/requests/{request_id}/reclassify", body)
    path = f"/v1/plazas/{plaza}/work-orders/{work_order_id}/{action}"
    return await calls.post("dispatch", path, body)
