"""Praise for the departments' reports and suggestions for the manager, over HTTP."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page, iso, plaza_token
from libs.runtime.service import Runtime
from services.dispatch.feedback import domain, store
from services.dispatch.feedback import services as feedback
from services.dispatch.sla import services as sla


class PraiseView(msgspec.Struct, kw_only=True):
    request_id: str
    department: str
    unit: str
    text: str
    received_at: str


class FollowUpView(msgspec.Struct, kw_only=True):
    from_state: str
    state: str
    reply: str | None
    note: str | None
    actor: str
    occurred_at: str


class SuggestionView(msgspec.Struct, kw_only=True):
    request_id: str
    unit: str
    text: str
    received_at: str
    state: str
    reply: str | None
    updated_at: str | None
    allowed_states: list[str]
    history: list[FollowUpView]


def _suggestion(r: dict) -> SuggestionView:
    return SuggestionView(
        request_id=r["request_id"], unit=r["unit"], text=r["text"], received_at=iso(r["received_at"]),
        state=r["state"], reply=r["reply"], updated_at=iso(r["updated_at"]), allowed_states=domain.allowed_states(r["state"]),
        history=[FollowUpView(**{k: h[k] for k in ("from_state", "state", "reply", "note", "actor")}, occurred_at=iso(h["occurred_at"]))
                 for h in r["history"]],
    )


FOLLOW_UP_EXAMPLE = Example(
    summary="采纳并答复商户 / Adopted, with the reply to the merchant",
    value={"state": "adopted", "reply": "下月起延长停车场开放时间 / the car park stays open later from next month",
           "note": "已与安保部确认 / agreed with security"},
)


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
        description="业主和商户的建议及其跟进（已收到、考虑中、已采纳、未采纳）与给商户的答复，可按状态筛选，分页。\n\n"
        "Suggestions from occupants with their follow-up (received, under_consideration, adopted, "
        "declined), the reply to the merchant and every step; filtered by state, a page at a time.",
    )
    async def suggestions(
        self, plaza: FromPath[str], runtime: Runtime,
        # ``state`` is a name Litestar keeps for the app's state: the parameter is renamed.
        state_: domain.State | None = Parameter(query="state", default=None),
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            rows = await feedback.list_suggestions(conn, plaza, state=state_, after=cursor, limit=limit)
        return Page.of([_suggestion(r) for r in rows], limit, "request_id")

    @post(
        "/suggestions/{request_id:str}/follow-up",
        status_code=200,
        summary="跟进建议 / Follow up a suggestion",
        description="已收到 → 考虑中 → 已采纳 / 未采纳；采纳或不采纳须附给商户的答复。不允许的跳转为 409。\n\n"
        "received → under_consideration → adopted / declined; a decision needs a reply to the "
        "merchant. A step the state does not allow is 409 naming the allowed ones.",
    )
    async def follow_up(
        self, plaza: FromPath[str], request_id: FromPath[str],
        data: Annotated[domain.SuggestionFollowUp, Body(examples=[FOLLOW_UP_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> SuggestionView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            row = await feedback.follow_up_suggestion(tx, plaza, request_id, data, actor, sla.now())
            shown = await feedback.suggestion_shown(tx.conn, row)
        return _suggestion(shown)
