"""The escalation inbox over HTTP."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, Parameter

from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.dispatch.escalations import services as escalations


class EscalationItem(msgspec.Struct, kw_only=True):
    work_order_id: str
    unit: str
    area: str | None
    department: str
    kind: str
    major: bool
    level: str
    reason: str
    deadline: str | None  # the breached deadline, when a breach is the cause
    escalated_at: str
    age_minutes: int
    status: str  # the job's
    open: bool
    # Added: what raised it (``major``, ``authority``, ``<deadline>:<round>``…) and the job's
    # words, so the inbox reads without opening each job.
    cause: str = ""
    text: str = ""
    # Added: whom it was raised to (the supervisor on duty, else the plaza's supervisors).
    to: list[str] = []
    on_duty: bool = False


class EscalationsController(Controller):
    path = "/v1/plazas/{plaza:str}/escalations"

    @get(
        "/",
        summary="升级待办 / The escalation inbox",
        description="广场所有升级过的工单（重大投诉、超时、超出权限、多次返工）：未结的和重大投诉在前，最早的在前；"
        "可按级别和是否未结筛选。\n\n"
        "Every escalation of the plaza's jobs (a major complaint, a missed deadline, a clerk's "
        "hand-up, a job reopened again and again): open ones and major complaints first, the "
        "oldest first; filtered by level and by open (the job still being worked on).",
    )
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, level: Literal["supervisor", "manager"] | None = None,
        open: bool | None = None,  # noqa: A002 (the query parameter's name)
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await escalations.inbox(conn, plaza, level=level, open_=open, limit=limit)
        items = [EscalationItem(
            **{k: r[k] for k in ("work_order_id", "unit", "area", "department", "kind", "major", "level", "reason",
                                 "deadline", "age_minutes", "status", "open", "cause", "text")},
            escalated_at=iso(r["escalated_at"]), to=list(r["to_usernames"] or []), on_duty=bool(r["on_duty"]),
        ) for r in rows]
        return Page(items=items, next=None)
