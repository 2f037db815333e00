"""Return-visit routes: list, figures, one visit, the occupant's answer taken by phone, at
the door or online."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.http import Page, plaza_token
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, own_unit, unit_filter
from services.survey.visits import domain
from services.survey.visits import services as visits
from services.survey.visits.services import ResponseCreate, VisitStats, VisitView

ANSWER_EXAMPLE = Example(
    summary="业户基本满意 / The occupant is basically satisfied",
    value={"rating": "basically_satisfied", "reasons": ["late_arrival"], "comment": "修好了，就是来晚了", "channel": "phone"},
)

class VisitController(Controller):
    path = "/v1/plazas/{plaza:str}/visits"

    @get(
        "/",
        summary="回访列表 / List return visits",
        description="广场的回访，按 id 排序分页；可按工单、状态（pending、done、overdue、skipped）、单元、部门筛选。"
        "overdue 不存储：到期未答的 pending 读出时即为 overdue。\n\n"
        "The plaza's return visits in id order, a page at a time; filter by work order, status "
        "(pending, done, overdue, skipped), unit or department. Overdue is never stored: a pending "
        "visit read after its due time is overdue. An occupant's token lists its own unit's visits "
        "only (another unit: 404).",
    )
    async def index(
        self,
        plaza: FromPath[str],
        runtime: Runtime,
        work_order_id: str | None = None,
        status: domain.Status | None = None,
        unit: str | None = None,
        department: str | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
        principal: Principal | None = PRINCIPAL,
    ) -> Page:
        unit = unit_filter(principal, plaza, unit)
        async with runtime.read() as conn:
            items = await visits.find_visits(
                conn, plaza, work_order_id=work_order_id, status=status, unit=unit, department=department,
                after=cursor, limit=limit,
            )
        return Page.of(items, limit)

    @get(
        "/stats",
        summary="回访统计 / Return-visit figures",
        description="应回访（疲劳期内改为问卷链接的也计入）、已完成、逾期、待回访数，旧版本免打扰跳过的数，"
        "回访率（已完成 / 应回访）与满意率。\n\n"
        "Visits scheduled (those made by survey link within the fatigue window included), done, "
        "overdue and pending, those an earlier release skipped; coverage (done over scheduled) and the "
        "satisfaction rate.",
    )
    async def stats(self, plaza: FromPath[str], runtime: Runtime, department: str | None = None) -> VisitStats:
        async with runtime.read() as conn:
            return await visits.visit_stats(conn, plaza, department)

    @get(
        "/{visit_id:str}",
        summary="查看回访 / Show a return visit",
        description="一次回访：工单、单元当前业户及电话（公共区域或非业户来电：其来电联系人）、回访方式"
        "（电话；疲劳期内为问卷链接 online）、到期时间、状态与答复。\n\n"
        "One return visit: the work order, the unit's current occupant and phone (for a public area or "
        "a caller who is no occupant: the request's contact), how it is made (phone; online, by survey "
        "link, within the fatigue window), when it falls due, its status and answer.",
    )
    async def show(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> VisitView:
        async with runtime.read() as conn:
            return await visits.show_visit(conn, plaza, visit_id)

    @post(
        "/{visit_id:str}/response", status_code=200,
        summary="登记回访结果 / Record the occupant's answer",
        description="登记业户的评价（满意、基本满意、不满意）、原因代码、意见和回访渠道（phone 电话、"
        "visit 上门、online 线上；缺省 phone）；发出 VisitCompleted，不满意时调度据此重新派单。"
        "已答复或旧版本跳过的回访返回 409。\n\n"
        "Records the occupant's rating (satisfied, basically satisfied, unsatisfied), reason codes, "
        "comment and channel (phone, visit: door-to-door, online; phone when omitted), and announces "
        "VisitCompleted; an unsatisfied answer makes dispatch reopen the job. A visit already answered, "
        "or skipped by an earlier release, answers 409. An occupant answers their own unit's "
        "visits only (another unit's: 404), as an online answer.",
    )
    async def respond(
        self,
        plaza: FromPath[str],
        visit_id: FromPath[str],
        data: Annotated[ResponseCreate, Body(examples=[ANSWER_EXAMPLE])],
        runtime: Runtime,
        actor: str = ACTOR,
        principal: Principal | None = PRINCIPAL,
    ) -> VisitView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await visits.answer_visit(tx, plaza, visit_id, data, actor=actor,
                                             only_unit=own_unit(principal, plaza))
