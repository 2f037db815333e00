"""Public areas over HTTP: the plaza's list of places a request may name instead of a unit."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from libs.runtime.auth import ACTOR
from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.intake.areas import domain
from services.intake.areas import services as areas
from services.intake.areas.services import PublicAreasView

AREAS_EXAMPLE = Example(
    summary="本广场的公共区域 / This plaza's public areas",
    value={"items": [{"id": "car-park-b2", "name": "地下停车场B2 / car park B2"},
                     {"id": "east-entrance", "name": "东门 / east entrance"}]},
)


class PublicAreasController(Controller):
    path = "/v1/plazas/{plaza:str}/public-areas"

    @get("/", summary="公共区域 / Public areas",
         description="报事可指向的公共区域（停车场、出入口、走廊…），未设置时为默认列表，以及谁何时设置的。\n\n"
         "The public areas a request may name instead of a unit (car park, entrances, corridors…): the "
         "defaults until the plaza sets its own, and who set them when.")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> PublicAreasView:
        async with runtime.read() as conn:
            return await areas.areas_of(conn, plaza)

    @put("/", summary="设置公共区域 / Set the public areas",
         description="替换广场的公共区域列表；id 由字母、数字、'-'、'_' 组成，不可重复。已登记的报事保留原区域。\n\n"
         "Replaces the plaza's list of public areas; ids are letters, digits, '-' or '_', each once. "
         "Requests already logged keep the area they named.")
    async def replace(
        self, plaza: FromPath[str], data: Annotated[domain.PublicAreas, Body(examples=[AREAS_EXAMPLE])],
        runtime: Runtime, actor: str = ACTOR,
    ) -> PublicAreasView:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await areas.set_areas(tx, plaza, data, actor=actor)
