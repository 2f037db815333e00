"""Activity routes: plan, publish, sign up, attendance, report, the year's calendar.
Translation only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, check_unit
from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from services.notices.activities import services as activities
from services.notices.activities.services import (
    ActivityCreate,
    ActivityView,
    AttendanceCreate,
    PublishCreate,
    ReportCreate,
    SignupCreate,
    SignupView,
)

PLAN_EXAMPLE = Example(
    summary="元宵节猜灯谜 / Lantern riddles at the Lantern Festival",
    value={"title": "元宵节猜灯谜", "kind": "community", "description": "中庭猜灯谜，奖品若干。", "place": "一楼中庭",
           "starts_at": "2027-02-20T11:00:00Z", "ends_at": "2027-02-20T13:00:00Z", "capacity": 60},
)


class ActivityController(Controller):
    path = "/v1/plazas/{plaza:str}/activities"
    tags = ["activities"]

    @post("/", status_code=201, summary="策划活动 / Plan an activity",
          description="社区文化活动或公益活动：时间、地点、名额（capacity）。\n\n"
                      "A community or public-welfare activity: when, where, how many places.")
    async def plan(self, plaza: FromPath[str], data: Annotated[ActivityCreate, Body(examples=[PLAN_EXAMPLE])],
                   runtime: Runtime, actor: str = ACTOR) -> ActivityView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await activities.plan(tx, plaza, data, actor=actor)

    @get("/", summary="全年活动日历 / The year's calendar",
         description="该年（广场当地时间，默认今年）的活动，按开始时间排序。\n\n"
                     "The year's activities (the plaza's local year, this one by default), in the order "
                     "they take place.")
    async def calendar(self, plaza: FromPath[str], runtime: Runtime,
                       year: int | None = Parameter(query="year", default=None)) -> Page:
        async with runtime.read() as conn:
            return Page(items=await activities.calendar(conn, plaza, year))

    @get("/{activity_id:str}", summary="查看活动 / Show an activity")
    async def show(self, plaza: FromPath[str], activity_id: FromPath[str], runtime: Runtime) -> ActivityView:
        async with runtime.read() as conn:
            return await activities.show(conn, plaza, activity_id)

    @post("/{activity_id:str}/publish", status_code=200, summary="发布活动 / Publish an activity",
          description="为活动写一条通知并提交审批（主管批准后送达受众），同时开放报名；非策划中 409。\n\n"
                      "Writes the activity's notice and sends it for approval (a lead's approval sends it "
                      "out), and opens sign-ups; an activity not planned answers 409.")
    async def publish(self, plaza: FromPath[str], activity_id: FromPath[str], runtime: Runtime,
                      data: PublishCreate | None = None, actor: str = ACTOR) -> ActivityView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await activities.publish(tx, plaza, activity_id, data or PublishCreate(), actor=actor)

    @post("/{activity_id:str}/signups", status_code=201, summary="报名 / Sign up",
          description="一个单元一个名额；额满（capacity）或已报名 409；业户只能为自己的单元报名。\n\n"
                      "One place per unit; full or signed up already answers 409; an occupant signs up "
                      "their own unit only.")
    async def sign_up(self, plaza: FromPath[str], activity_id: FromPath[str], data: SignupCreate, runtime: Runtime,
                      principal: Principal | None = PRINCIPAL, actor: str = ACTOR) -> SignupView:
        plaza_token(plaza)
        validate_token(data.unit, "unit")
        check_unit(principal, plaza, data.unit)
        async with runtime.transaction() as tx:
            return await activities.sign_up(tx, plaza, activity_id, data, actor=actor)

    @get("/{activity_id:str}/signups", summary="报名名单 / Sign-ups")
    async def signups(self, plaza: FromPath[str], activity_id: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            return Page(items=await activities.signups(conn, plaza, activity_id))

    @post("/{activity_id:str}/attendance", status_code=200, summary="签到 / Attendance",
          description="当天登记到场的单元，其余报名记为缺席；未报名的单元 422。\n\n"
                      "The units that came on the day; every other sign-up is absent; a unit that did not "
                      "sign up answers 422.")
    async def attendance(self, plaza: FromPath[str], activity_id: FromPath[str], data: AttendanceCreate,
                         runtime: Runtime) -> ActivityView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await activities.record_attendance(tx, plaza, activity_id, data)

    @post("/{activity_id:str}/report", status_code=200, summary="活动总结 / Report",
          description="活动结束后的简短总结及照片（archive 文档 id）。\n\n"
                      "A short report after the activity, with photos (archive document ids).")
    async def report(self, plaza: FromPath[str], activity_id: FromPath[str], data: ReportCreate, runtime: Runtime,
                     actor: str = ACTOR) -> ActivityView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await activities.report(tx, plaza, activity_id, data, actor=actor)
