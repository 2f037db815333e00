"""Training routes: sessions of a course, their attendance and scores, a person's
qualifications. Translation only."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.staff.training import services as training
from services.staff.training.services import QualificationsView, ResultsIn, SessionCreate, SessionView


class TrainingController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["training"]

    @get("/training/sessions", summary="培训场次 / Training sessions",
         description="培训场次（可按课程筛选），含出勤、成绩与是否合格。\n\nSessions (filter by course) with "
         "attendance, scores and who passed.")
    async def index(self, plaza: FromPath[str], runtime: Runtime, course: str | None = None) -> Page:
        async with runtime.read() as conn:
            return Page(items=await training.list_sessions(conn, plaza, course))

    @post("/training/sessions", summary="安排培训 / Schedule a training session",
          description="课程：induction（思想道德、服务意识）或某岗位代码（该岗位工作流程）；及格分默认取课程的。\n\n"
          "Course: induction (conduct and service attitude) or a post's code (its procedures); the pass mark "
          "is the course's unless given.")
    async def schedule(self, plaza: FromPath[str], data: SessionCreate, runtime: Runtime,
                       actor: str = ACTOR) -> SessionView:
        async with runtime.transaction() as tx:
            return await training.schedule_session(tx, plaza, data, actor=actor)

    @get("/training/sessions/{session_id:str}", summary="查看培训场次 / A training session")
    async def show(self, plaza: FromPath[str], session_id: FromPath[str], runtime: Runtime) -> SessionView:
        async with runtime.read() as conn:
            return await training.show_session(conn, plaza, session_id)

    @post("/training/sessions/{session_id:str}/results", status_code=200,
          summary="登记出勤与成绩 / Record attendance and scores",
          description="出勤且成绩达到及格分即合格，合格后方可上岗。\n\nAttended and at the pass mark: passed, "
          "and qualified for the posts that need the course.")
    async def results(self, plaza: FromPath[str], session_id: FromPath[str], data: ResultsIn, runtime: Runtime,
                      actor: str = ACTOR) -> SessionView:
        async with runtime.transaction() as tx:
            return await training.record_results(tx, plaza, session_id, data, actor=actor)

    @get("/qualifications/{username:str}", summary="上岗资格 / A person's qualifications",
         description="已通过的培训，及每个岗位是否可上岗、还缺哪些培训。\n\nThe courses passed and, per post, "
         "whether the person may work it and which training is missing.")
    async def qualifications(self, plaza: FromPath[str], username: FromPath[str],
                             runtime: Runtime) -> QualificationsView:
        async with runtime.read() as conn:
            return await training.qualifications(conn, plaza, username)
