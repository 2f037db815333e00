"""The plaza's routing table over HTTP: routes only translate."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.dispatch.routing import domain
from services.dispatch.routing import services as routing
from services.dispatch.routing.services import RoutingRulesUpdate


class RoutingRuleView(msgspec.Struct, kw_only=True):
    position: int
    keyword: str
    department: str


class RoutingTable(msgspec.Struct, kw_only=True):
    items: list[RoutingRuleView]
    next: str | None = None
    # True while the plaza has no table of its own and the default rules apply.
    defaults: bool


RULES_EXAMPLE = Example(
    summary="电梯交给电梯公司，漏水交给水电组 / Lifts to the lift vendor, leaks to plumbing",
    value={"rules": [{"keyword": "电梯", "department": "lift_vendor"}, {"keyword": "漏", "department": "plumbing"}]},
)


class RoutingRulesController(Controller):
    path = "/v1/plazas/{plaza:str}/routing-rules"

    @get(
        "/",
        summary="查看派单规则 / Show the routing rules",
        description="广场的关键词派单规则（按顺序，先匹配者胜）；未设置时显示默认规则。\n\n"
        "The plaza's keyword rules in order (the first match wins); the defaults while it has none.",
    )
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> RoutingTable:
        async with runtime.read() as conn:
            return _table(await routing.show_routing_rules(conn, plaza))

    @put(
        "/",
        summary="替换派单规则 / Replace the routing rules",
        description="整表替换；空列表恢复默认规则。只影响此后开出的工单。\n\n"
        "Replaces the whole table; an empty list puts the plaza back on the defaults. "
        "Applies to work orders opened from now on.",
    )
    async def replace(
        self, plaza: FromPath[str], data: Annotated[RoutingRulesUpdate, Body(examples=[RULES_EXAMPLE])], runtime: Runtime,
    ) -> RoutingTable:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            rows = await routing.replace_routing_rules(tx, plaza, data)
        routing.forget_rules(tx.conn, plaza)  # again after commit: no reader cached the old
        return _table(rows)


def _table(rows: list[dict]) -> RoutingTable:
    if rows:
        return RoutingTable(items=[RoutingRuleView(**r) for r in rows], defaults=False)
    defaults = [
        RoutingRuleView(position=i, keyword=r.keyword, department=r.department)
        for i, r in enumerate(domain.DEFAULT_RULES, start=1)
    ]
    return RoutingTable(items=defaults, defaults=True)
