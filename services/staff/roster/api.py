"""Roster routes: shifts, swaps and their approval, the desk's opening hours, the week's
roster with its uncovered hours. Translation only."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath

from libs.runtime.auth import ACTOR, PRINCIPAL, Principal
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.staff.roster import services as roster
from services.staff.roster.services import (
    Decision, HoursUpdate, HoursView, RosterView, ShiftCreate, ShiftView, SwapCreate, SwapView,
)


class RosterController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["roster"]

    @get("/roster", summary="周排班 / The week's roster",
         description="某周（ISO 周 YYYY-Www，默认本周，广场时区）的班次，及前台营业时间中无人值守的时段。\n\n"
         "The week's shifts (ISO week YYYY-Www, this week by default, in the plaza's zone) and the desk's "
         "opening hours no shift covers.")
    async def week(self, plaza: FromPath[str], runtime: Runtime, week: str | None = None) -> RosterView:
        async with runtime.read() as conn:
            return await roster.roster_week(conn, plaza, week)

    @get("/roster/opening-hours", summary="营业时间 / The desk's opening hours")
    async def get_hours(self, plaza: FromPath[str], runtime: Runtime) -> HoursView:
        async with runtime.read() as conn:
            return await roster.hours(conn, plaza)

    @put("/roster/opening-hours", summary="设定营业时间 / Set the desk's opening hours",
         description="每天的营业时段（广场当地时间）及须覆盖的岗位（默认 front_desk）。\n\n"
         "Each weekday's opening spans (the plaza's local time) and the posts that must cover them.")
    async def put_hours(self, plaza: FromPath[str], data: HoursUpdate, runtime: Runtime,
                        actor: str = ACTOR) -> HoursView:
        async with runtime.transaction() as tx:
            return await roster.put_hours(tx, plaza, data, actor=actor)

    @post("/shifts", summary="排班 / Plan a shift",
          description="只排给已通过该岗位培训的人（否则 422，列出缺少的培训）；同一人的班次不重叠。发出 ShiftPlanned。\n\n"
          "Only for a person who passed the post's training (422 naming the missing training otherwise); a "
          "person's shifts never overlap. Announces ShiftPlanned.")
    async def plan(self, plaza: FromPath[str], data: ShiftCreate, runtime: Runtime, actor: str = ACTOR) -> ShiftView:
        async with runtime.transaction() as tx:
            return await roster.plan_shift(tx, plaza, data, actor=actor)

    @delete("/shifts/{shift_id:str}", status_code=200, summary="取消班次 / Cancel a shift",
            description="发出 ShiftCancelled。\n\nAnnounces ShiftCancelled.")
    async def cancel(self, plaza: FromPath[str], shift_id: FromPath[str], runtime: Runtime,
                     actor: str = ACTOR) -> ShiftView:
        async with runtime.transaction() as tx:
            return await roster.cancel_shift(tx, plaza, shift_id, actor=actor)

    @post("/shifts/{shift_id:str}/swaps", summary="申请换班 / Ask to swap a shift",
          description="把班次换给另一位已具备该岗位资格的人；须主管（另一人）批准后生效。\n\n"
          "Hands the shift to another person qualified for its post; it takes effect once a supervisor "
          "(not the one who asked) approves. A clerk asks for their own shifts only.")
    async def ask(self, plaza: FromPath[str], shift_id: FromPath[str], data: SwapCreate, runtime: Runtime,
                  actor: str = ACTOR, principal: Principal | None = PRINCIPAL) -> SwapView:
        lead = bool(principal and principal.roles_at(plaza) & roster.LEADS)
        async with runtime.transaction() as tx:
            return await roster.request_swap(tx, plaza, shift_id, data, actor=actor, lead=lead)

    @get("/swaps", summary="换班申请 / Swap requests")
    async def swaps(self, plaza: FromPath[str], runtime: Runtime, status: str | None = None) -> Page:
        async with runtime.read() as conn:
            return Page(items=await roster.list_swaps(conn, plaza, status))

    @post("/swaps/{swap_id:str}/approve", status_code=200, summary="批准换班 / Approve a swap",
          description="班次归新的人，发出 ShiftPlanned（整个班次）。\n\nThe shift becomes the new person's; "
          "announces ShiftPlanned with the whole shift.")
    async def approve(self, plaza: FromPath[str], swap_id: FromPath[str], runtime: Runtime,
                      data: Decision | None = None, actor: str = ACTOR) -> SwapView:
        async with runtime.transaction() as tx:
            return await roster.decide_swap(tx, plaza, swap_id, approve=True, actor=actor)

    @post("/swaps/{swap_id:str}/reject", status_code=200, summary="驳回换班 / Reject a swap")
    async def reject(self, plaza: FromPath[str], swap_id: FromPath[str], runtime: Runtime,
                     data: Decision | None = None, actor: str = ACTOR) -> SwapView:
        async with runtime.transaction() as tx:
            return await roster.decide_swap(tx, plaza, swap_id, approve=False, actor=actor)
