"""Post record routes: handover notes, a person's daily report, the day's reports to
review and the supervisor's sign-off. Translation only."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, Parameter

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.staff.records import services as records
from services.staff.records.services import DailyReport, NoteCreate, NoteView, ReviewCreate


class PostRecordController(Controller):
    path = "/v1/plazas/{plaza:str}/post-records"
    tags = ["post records"]

    @post("/notes", summary="交接班记录 / Write a handover note",
          description="本人本班发生了什么、还有什么待办（交给下一班）。\n\nWhat happened on the caller's shift and "
          "what is pending for the next one.")
    async def note(self, plaza: FromPath[str], data: NoteCreate, runtime: Runtime, actor: str = ACTOR) -> NoteView:
        async with runtime.transaction() as tx:
            return await records.write_note(tx, plaza, data, actor=actor)

    @get("/", summary="当日岗位记录 / The day's post records",
         description="某天（广场当地日期，默认今天）每个有工作或交接记录的人的日报，含是否已审核。\n\nEveryone's daily "
         "report of a day (the plaza's date; today when none is given) who did something or wrote a note, with its sign-off if any.")
    async def day(self, plaza: FromPath[str], runtime: Runtime,
                  day: str | None = Parameter(query="day", default=None)) -> Page:
        async with runtime.read() as conn:
            return Page(items=await records.day_reports(conn, plaza, day))

    @get("/{username:str}/{day:str}", summary="员工日报 / A person's daily report",
         description="由各服务的事件生成：登记的报事（来电）、回访、催缴、处理的投诉；加交接班记录与主管审核。\n\n"
         "Made from the services' events: requests logged (calls), return visits made, dunning, complaints "
         "handled; with the handover notes and the supervisor's sign-off.")
    async def show(self, plaza: FromPath[str], username: FromPath[str], day: FromPath[str],
                   runtime: Runtime) -> DailyReport:
        async with runtime.read() as conn:
            return await records.daily_report(conn, plaza, username, day)

    @post("/{username:str}/{day:str}/review", status_code=200, summary="审核日报 / Sign off a daily report",
          description="主管（不是本人）审核并留下意见；每天一次。\n\nA supervisor (never the person themselves) "
          "signs the day off with comments, once.")
    async def review(self, plaza: FromPath[str], username: FromPath[str], day: FromPath[str], data: ReviewCreate,
                     runtime: Runtime, actor: str = ACTOR) -> DailyReport:
        async with runtime.transaction() as tx:
            return await records.review_day(tx, plaza, username, day, data, actor=actor)
