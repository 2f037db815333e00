"""Praise for the departments' reports and suggestions for the manager, over HTTP."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.dispatch.feedback import store


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

    @get(
        "/praise",
        summary="表扬列表 / List the praise",
        description="业主和商户的表扬，记在被表扬的部门名下（未指明时按派单规则判断），分页。\n\n"
        "Praise from occupants, credited to the department named (else the one the routing rules "
        "point to); a page at a time.",
    )
    async def praise(
        self, plaza: FromPath[str], runtime: Runtime, department: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_praise(conn, plaza, department=department, after=cursor, limit=limit)
        items = [PraiseView(**{k: r[k] for k in ("request_id", "department", "unit", "text")}, received_at=iso(r["received_at"])) for r in rows]
        return Page.of(items, limit, "request_id")

    @get(
        "/suggestions",
        summary="建议列表 / List the suggestions",
        description="业主和商户的建议，供经理阅读，分页。\n\nSuggestions from occupants, for the manager; a page at a time.",
    )
    async def suggestions(
        self, plaza: FromPath[str], runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await store.list_suggestions(conn, plaza, after=cursor, limit=limit)
        items = [SuggestionView(request_id=r["request_id"], unit=r["unit"], text=r["text"], received_at=iso(r["received_at"])) for r in rows]
        return Page.of(items, limit, "request_id")
