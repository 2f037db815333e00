"""Public-share routes (公摊费用): finance enters a period's shared costs with their
evidence, sees the table per unit (json or xlsx), and runs the charge once. Translation only."""

from __future__ import annotations

from typing import Annotated

import msgspec

from litestar import Controller, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime import export
from libs.runtime.auth import ACTOR
from libs.runtime.errors import InvalidInput
from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.billing.public_share import services as public_share
from services.billing.public_share.services import CostCreate, PublicShareView, RunCreate

COST_EXAMPLE = Example(
    summary="11 月公共区域电费 / November's common-area electricity",
    value={"category": "公共区域电费", "amount_fen": 1234500, "description": "走廊、电梯、地下车库",
           "documents": ["0190a6b2-7c3e-7a10-8f00-0000000000d9"]},
)


class PublicShareController(Controller):
    path = "/v1/plazas/{plaza:str}/public-share/{period:str}"
    tags = ["public share"]

    @get("/", summary="公摊费用表 / The public-share table",
         description="账期的公摊费用（附凭证文档 id）与每个单元的分摊额；已出账的为出账时的表，未出账的为按 rule "
                     "（area 按面积，equal 平均）此刻的预览。分摊到分，余数按最大余数法分配，余数相同按单元号。"
                     "format=xlsx 导出 Excel。\n\n"
                     "The period's shared costs (with their documents) and each unit's share: as charged, or "
                     "(not yet charged) as a run by rule (area, equal) would charge it now. Shares are in whole "
                     "fen, the fen left over go to the largest remainders, ties by unit id. format=xlsx for Excel.")
    async def show(self, plaza: FromPath[str], period: FromPath[str], runtime: Runtime,
                   rule: str = Parameter(query="rule", default="area"),
                   format: str = Parameter(query="format", default="json")) -> Response:
        if format not in ("json", "xlsx"):
            raise InvalidInput("format must be json or xlsx", field="format")
        async with runtime.read() as conn:
            view = await public_share.show(conn, plaza, period, rule)
        if format == "json":
            return Response(msgspec.to_builtins(view))
        headers = {"Content-Disposition": f'attachment; filename="public-share-{plaza}-{view.period}.xlsx"'}
        return Response(await export.off_loop(public_share.workbook, view), media_type=export.XLSX_TYPE,
                        headers=headers)

    @post("/costs", status_code=201, summary="登记公摊费用 / Enter a shared cost",
          description="财务登记账期的一项公共区域费用及其凭证（archive 文档 id，至少一个）；账期已出账 409。\n\n"
                      "Finance enters one shared cost of the period with its evidence (archive document ids, "
                      "at least one); a period already charged answers 409.")
    async def add_cost(self, plaza: FromPath[str], period: FromPath[str],
                       data: Annotated[CostCreate, Body(examples=[COST_EXAMPLE])], runtime: Runtime,
                       actor: str = ACTOR) -> PublicShareView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await public_share.add_cost(tx, plaza, period, data, actor=actor)

    @post("/run", status_code=200, summary="公摊出账 / Charge the public share",
          description="按规则把账期费用合计分摊到各单元并记入账户，每个账期只出一次：重复执行不变，返回已出的表；"
                      "发出 PublicShareCharged（每单元）与 PublicShareDisclosed（整表，供通知服务做财务公开）。\n\n"
                      "Apportions the period's total to the units by the rule and charges each its share, "
                      "once per period: a repeated run changes nothing and shows the table charged. Announces "
                      "PublicShareCharged per unit and PublicShareDisclosed (the table, for the disclosure notice).")
    async def run(self, plaza: FromPath[str], period: FromPath[str], runtime: Runtime,
                  data: RunCreate | None = None, actor: str = ACTOR) -> PublicShareView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await public_share.run(tx, plaza, period, data or RunCreate(), actor=actor)
