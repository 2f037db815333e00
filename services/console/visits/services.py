"""The return-visit worklist composed from survey (the visits) and dispatch (each visit's
job), and the answer recorded with the signed-in person's token."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.visits import domain


async def _visits(calls, plaza: str, status: str) -> list[dict]:
    page = await calls.get("survey", f"/v1/plazas/{plaza}/visits", status=status, limit=500)
    return page.get("items") or []


async def _jobs(calls, plaza: str, ids: set[str]) -> dict[str, dict | None]:
    ids_ = sorted(ids)
    found = await asyncio.gather(*(calls.get_or_none("dispatch", f"/v1/plazas/{plaza}/work-orders/{i}") for i in ids_))
    return dict(zip(ids_, found))


async def worklist(calls, plaza: str) -> list[dict]:
    """Overdue and pending visits, each with its job (text, department) where dispatch shows it."""
    pages = await asyncio.gather(*(_visits(calls, plaza, s) for s in domain.WORKLIST_STATUSES))
    visits = domain.worklist_order([v for page in pages for v in page])
    jobs = await _jobs(calls, plaza, {v["work_order_id"] for v in visits})
    return [{**v, "job": jobs.get(v["work_order_id"])} for v in visits]


async def outcome(calls, plaza: str, visit_id: str, visit: dict | None = None) -> dict[str, Any]:
    """A visit as answered, with its job now: reopened or not yet."""
    visit = visit or await calls.get("survey", f"/v1/plazas/{plaza}/visits/{visit_id}")
    order = await calls.get_or_none("dispatch", f"/v1/plazas/{plaza}/work-orders/{visit['work_order_id']}")
    return {"visit": visit, "job": order, "reopened": domain.reopened(visit, order),
            "waiting": domain.waiting_for_reopen(visit, order)}


async def answer(calls, plaza: str, visit_id: str, form: dict[str, Any]) -> dict[str, Any]:
    body = domain.response_body(form.get("rating"), form.get("channel"), form.get("comment"))
    visit = await calls.post("survey", f"/v1/plazas/{plaza}/visits/{visit_id}/response", body)
    return await outcome(calls, plaza, visit_id, visit)
