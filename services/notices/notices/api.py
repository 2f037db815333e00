"""Notice routes: the desk writes, edits, submits, approves or rejects, lists, and sees who
has (not) read one; the occupant reads their unit's notices in the console, and a
recipient opens the signed read link with no login (rate-limited per client address).
Translation only."""

from __future__ import annotations

import time
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime import export
from libs.runtime.auth import ACTOR, PRINCIPAL, Principal, check_unit
from libs.runtime.errors import DomainError
from libs.runtime.http import Page, Problem, plaza_token
from libs.runtime.service import Runtime
from services.notices.delivery import domain as delivery
from services.notices.delivery import services as sending
from services.notices.notices import export as notice_export
from services.notices.notices import services as notices
from services.notices.notices.services import (
    Approvals,
    ApprovalsView,
    Decision,
    NoticeCreate,
    NoticeUpdate,
    NoticeView,
    Refusal,
    UnitNoticeView,
)

NOTICE_EXAMPLE = Example(
    summary="3 楼欠费 30 天以上的商户催缴通知 / Floor 3, in arrears over 30 days",
    value={"kind": "notice", "title": "缴费通知", "urgent": True, "channels": ["sms"],
           "body": "{merchant}（{unit}）您好：贵铺物业费已逾期，请于 {due_date} 前到客服中心缴纳。",
           "values": {"due_date": "2026-12-31"}, "audience": {"floors": ["3"], "arrears_over_days": 30}},
)


class NoticeController(Controller):
    path = "/v1/plazas/{plaza:str}/notices"
    tags = ["notices"]

    @post("/", status_code=201, summary="起草通知 / Draft a notice",
          description="通知、信函（一个单元）或温馨提示，模板可用 {unit} {merchant} {building} {floor} 等占位符及 values 中的值；"
                      "受众为各筛选条件同时满足的单元（不填为全广场）。\n\n"
                      "A notice, a letter (to one unit) or a warm tip, from a template with placeholders "
                      "({unit}, {merchant}, {building}, {floor}, and the values given); the audience is the "
                      "units passing every filter given (none: the whole plaza).")
    async def create(self, plaza: FromPath[str], data: Annotated[NoticeCreate, Body(examples=[NOTICE_EXAMPLE])],
                     runtime: Runtime, actor: str = ACTOR) -> NoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.create_notice(tx, plaza, data, actor=actor)

    @get("/", summary="通知列表 / List notices",
         description="最新在前，可按状态（draft、pending、published、rejected）和类别筛选；含已读人数。\n\n"
                     "Newest first, by status and kind; with how many recipients have read each.")
    async def index(self, plaza: FromPath[str], runtime: Runtime,
                    status: str | None = Parameter(query="status", default=None),
                    kind: str | None = Parameter(query="kind", default=None),
                    cursor: str | None = Parameter(query="cursor", default=None),
                    limit: int = Parameter(query="limit", default=50, ge=1, le=500)) -> Page:
        async with runtime.read() as conn:
            items = await notices.list_notices(conn, plaza, status=status, kind=kind, after=cursor, limit=limit)
        return Page.of(items, limit)

    @get("/{notice_id:str}", summary="查看通知 / Show a notice")
    async def show(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> NoticeView:
        async with runtime.read() as conn:
            return await notices.show_notice(conn, plaza, notice_id)

    @put("/{notice_id:str}", summary="修改通知 / Edit a notice",
         description="草稿或被退回的通知可修改（修改后回到草稿）；其余 409。\n\n"
                     "A draft or a rejected notice is edited (back to draft); any other answers 409.")
    async def update(self, plaza: FromPath[str], notice_id: FromPath[str], data: NoticeUpdate,
                     runtime: Runtime) -> NoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.update_notice(tx, plaza, notice_id, data)

    @post("/{notice_id:str}/submit", status_code=200, summary="提交审批 / Submit for approval")
    async def submit(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> NoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.submit_notice(tx, plaza, notice_id)

    @post("/{notice_id:str}/approve", status_code=200, summary="审批并发布 / Approve and publish",
          description="主管审批后立即发布给此刻符合受众的每个单元；起草人不能审批（四眼原则，403）；受众为空 422。\n\n"
                      "A supervisor approves, and it goes out at once to every unit in the audience now; "
                      "whoever wrote it cannot approve it (four eyes, 403); an empty audience answers 422.")
    async def approve(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                      actor: str = ACTOR) -> NoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.approve_notice(tx, plaza, notice_id, actor=actor, secret=runtime.settings.link_secret,
                                                console_url=runtime.settings.console_url)

    @post("/approvals", status_code=200, summary="批量审批 / Approve several at once",
          description="一次审批多份待审批的通知（如当天的催缴通知书），每份单独审批、单独发布：起草人不能审批自己写的，"
                      "有未结投诉的单元的催缴函暂缓；不能审批的逐份列出原因，其余照常发布。\n\n"
                      "Approves several pending notices at once (the day's dunning letters, say), each on its "
                      "own as if one by one: nobody approves what they wrote, a dunning letter to a unit with "
                      "an open complaint waits; each one refused is listed with its reason, the rest go out.")
    async def approve_many(self, plaza: FromPath[str], data: Approvals, runtime: Runtime,
                           actor: str = ACTOR) -> ApprovalsView:
        plaza_token(plaza)
        approved, refused = [], []
        for notice_id in dict.fromkeys(data.notice_ids):  # each once, in the order given
            try:
                async with runtime.transaction() as tx:
                    await notices.approve_notice(tx, plaza, notice_id, actor=actor,
                                                 secret=runtime.settings.link_secret,
                                                 console_url=runtime.settings.console_url)
            except DomainError as exc:
                refused.append(Refusal(notice_id=notice_id, status=exc.status, detail=exc.detail, field=exc.field))
            else:
                approved.append(notice_id)
        return ApprovalsView(approved=approved, refused=refused)

    @post("/{notice_id:str}/reject", status_code=200, summary="退回 / Send back",
          description="退回待审批的通知（附原因），起草人可修改后再提交。\n\n"
                      "Sends a pending notice back with a reason; its writer may edit and submit it again.")
    async def reject(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                     data: Decision | None = None, actor: str = ACTOR) -> NoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.reject_notice(tx, plaza, notice_id, data or Decision(), actor=actor)

    @get("/{notice_id:str}/audience", summary="受众预览 / Who it would reach now",
         description="若此刻审批，通知会送达的单元（按当前事实计算）。\n\n"
                     "The units the notice would reach if approved now, as the facts stand.")
    async def audience(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            return Page(items=await notices.audience_now(conn, plaza, notice_id))

    @get("/{notice_id:str}/messages", summary="短信/微信/邮件 / Messages sent",
         description="每个单元每个渠道的消息：状态（pending、sent、failed）、尝试次数、服务商回执或错误。\n\n"
                     "Each unit's message by each channel: status (pending, sent, failed), attempts, the "
                     "provider's reference or the error.")
    async def messages(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            await notices.show_notice(conn, plaza, notice_id)
            return Page(items=await sending.messages_of(conn, plaza, notice_id))

    @get("/{notice_id:str}/attachment.xlsx", summary="附表（Excel） / The table (xlsx)",
         media_type=export.XLSX_TYPE,
         description="通知所附的表（如公摊费用公示的分摊明细），Excel 格式；无附表 404。\n\n"
                     "The table the notice carries (a disclosure's shares per unit) as a workbook; 404 if none.")
    async def attachment_xlsx(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> Response:
        async with runtime.read() as conn:
            _, table = await notices.attachment_of(conn, plaza, notice_id)
        return Response(await export.off_loop(notice_export.attachment_xlsx, table), media_type=export.XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="notice-{notice_id}.xlsx"'})

    @get("/{notice_id:str}/attachment.pdf", summary="附表（PDF） / The notice with its table (PDF)",
         media_type="application/pdf",
         description="通知正文及所附的表，可打印的中文 PDF；无附表 404。\n\n"
                     "The notice's text and its table as a printable PDF in Chinese; 404 if it carries none.")
    async def attachment_pdf(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime) -> Response:
        async with runtime.read() as conn:
            row, table = await notices.attachment_of(conn, plaza, notice_id)
        body = await export.off_loop(notice_export.attachment_pdf, row["title"], row["body"], table)
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="notice-{notice_id}.pdf"'})

    @get("/{notice_id:str}/recipients", summary="接收单元 / Recipients",
         description="每个接收单元的送达和阅读时间及其签名阅读链接；read=false 只列未读的。\n\n"
                     "Each recipient unit, when it was delivered and read, and its signed read link; "
                     "read=false lists those that have not read it.")
    async def recipients(self, plaza: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                         read: bool | None = Parameter(query="read", default=None)) -> Page:
        async with runtime.read() as conn:
            items = await notices.recipients(conn, plaza, notice_id, read=read, secret=runtime.settings.link_secret,
                                             console_url=runtime.settings.console_url)
        return Page(items=items)


LIMITER = "notice_link_limiter"


def rate_limited(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    limiter = connection.app.state.get(LIMITER)
    if limiter is None:
        limiter = connection.app.state[LIMITER] = delivery.RateLimiter(30)
    wait = limiter.take(connection.client.host if connection.client else "", time.monotonic())
    if wait:
        raise Problem(429, "Too Many Requests", f"too many notice link requests from this address; retry in {wait} s",
                      headers={"Retry-After": str(wait)})


class UnitNoticeController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/notices"
    tags = ["notices"]

    @get("/", summary="单元的通知 / A unit's notices",
         description="送达该单元的通知，最新在前，含是否已读；业户只能看自己的单元。\n\n"
                     "The notices delivered to the unit, newest first, read or not; an occupant sees "
                     "their own unit only.")
    async def index(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime,
                    principal: Principal | None = PRINCIPAL) -> Page:
        validate_token(unit, "unit")
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            return Page(items=await notices.unit_notices(conn, plaza, unit))

    @post("/{notice_id:str}/read", status_code=200, summary="标记已读 / Mark read",
          description="业户在控制台打开通知即记为已读（首次发出 NoticeRead）。\n\n"
                      "The occupant opened the notice in the console: read (NoticeRead, the first time).")
    async def read(self, plaza: FromPath[str], unit: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                   principal: Principal | None = PRINCIPAL, actor: str = ACTOR) -> UnitNoticeView:
        plaza_token(plaza)
        validate_token(unit, "unit")
        check_unit(principal, plaza, unit)
        async with runtime.transaction() as tx:
            return await notices.read_notice(tx, plaza, notice_id, unit, via="console", actor=actor)


class LetterController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/notices/{notice_id:str}/letter.pdf"
    tags = ["notices"]

    @get("/", summary="打印信函 / Print the letter", media_type="application/pdf",
         description="该单元收到的通知或信函，排成可打印的中文 PDF（致业户、正文、落款与日期）。\n\n"
                     "The unit's copy of a notice or letter as a printable PDF in Chinese (addressee, "
                     "text, the customer-service centre's signature and the date).")
    async def letter(self, plaza: FromPath[str], unit: FromPath[str], notice_id: FromPath[str], runtime: Runtime,
                     principal: Principal | None = PRINCIPAL) -> Response:
        validate_token(unit, "unit")
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            body = await notices.letter_pdf(conn, plaza, notice_id, unit)
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="letter-{unit}-{notice_id}.pdf"'})


class NoticeLinkController(Controller):
    """The recipient's no-login link: the signed token is the only credential."""

    path = "/v1/plazas/{plaza:str}/notice-links/{token:str}"
    tags = ["notices"]
    guards = [rate_limited]

    @get("/", summary="打开通知链接 / Open a notice link",
         description="收件单元打开签名链接即看到通知并记为已读；篡改或他广场的链接 403，同一地址过频 429。\n\n"
                     "The recipient opens the signed link: the notice, now marked read. An altered or "
                     "another plaza's link answers 403; too many requests from one address 429.")
    async def open(self, plaza: FromPath[str], token: FromPath[str], runtime: Runtime) -> UnitNoticeView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await notices.read_by_link(tx, plaza, token, secret=runtime.settings.link_secret)
