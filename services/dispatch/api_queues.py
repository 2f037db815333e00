"""Dispatch's read-only views for departments and the manager: a department's queue, the
praise it received, the suggestions made. Routes only translate."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.dispatch import store
from services.dispatch.api import views


class DepartmentQueueController(Controller):
    path = "/v1/plazas/{plaza:str}/departments/{department:str}/queue"

    @get("/")
    async def queue(self, plaza: FromPath[str], department: FromPath[str], runtime: Runtime) -> Page:
        """The department's open work orders, the most pressing deadline first."""
        async with runtime.read() as conn:
            items = await views(conn, plaza, await store.open_work_orders_of(conn, plaza, department))
        items.sort(key=lambda v: (v.next_due_at is None, v.next_due_at or "", v.created_at))
        return Page(items=items, next=None)


class PraiseView(msgspec.Struct, kw_only=True):
    request_id: str
    department: str
    unit: str
    text: str
    received_at: str


class SuggestionView(msgspec.Struct, kw_only=True):
    request_id: str
    unit: str
    text: str
    received_at: str


class FeedbackController(Controller):
    """Praise for the departments' reports, suggestions for the manager."""

    path = "/v1/plazas/{plaza:str}"

    @get("/praise")
    async def praise(
        self, plaza: FromPath[str], runtime: Runtime, department: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_praise(conn, plaza, department=department, after=cursor, limit=limit)
        items = [PraiseView(**{k: r[k] for k in ("request_id", "department", "unit", "text")}, received_at=iso(r["received_at"])) for r in rows]
        return Page(items=items, next=items[-1].request_id if len(items) == limit else None)

    @get("/suggestions")
    async def suggestions(
        self, plaza: FromPath[str], runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_suggestions(conn, plaza, after=cursor, limit=limit)
        items = [SuggestionView(request_id=r["request_id"], unit=r["unit"], text=r["text"], received_at=iso(r["received_at"])) for r in rows]
        return Page(items=items, next=items[-1].request_id if len(items) == limit else None)
