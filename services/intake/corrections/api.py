"""Corrections over HTTP: the desk changes what intake decided about a request."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.auth import ACTOR
from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.intake.corrections import services as corrections
from services.intake.corrections.services import Reclassified, RequestReclassify

RECLASSIFY_EXAMPLES = [
    Example(summary="其实是投诉，而且严重 / A complaint after all, and a serious one",
            value={"kind": "complaint", "severity": "major", "reason": "来电复核：顾客摔伤 / called back: a customer was hurt"}),
    Example(summary="停车场路灯归物业管 / The car park's street light is the plaza's",
            value={"serviceable": True, "department": "engineering", "reason": "路灯在本广场停车场内 / the light is in our car park"}),
]


class CorrectionController(Controller):
    path = "/v1/plazas/{plaza:str}/requests/{request_id:str}/reclassify"

    @post(
        "/", status_code=200,
        summary="更正报事 / Correct a request",
        description="更正类别、投诉等级、部门或能否服务（必须说明理由）：报事随即更新，发出 RequestReclassified"
        "（派工据此开单或改派、重新标记重大），更正记入报事的历史。什么也没改变的更正被拒绝（422，指明字段）。"
        "带 Idempotency-Key 时重发得到第一次的答复。\n\n"
        "Corrects the kind, a complaint's severity, the department or whether the plaza serves it, with a "
        "reason: the request is updated and RequestReclassified is emitted in the same transaction (dispatch "
        "opens, reroutes or re-flags the work order), and the correction is kept on the request's history "
        "(`corrections` on GET). What is not named follows from what is: a new complaint is graded from its "
        "text, a new service is looked up in the referral directory. A correction that changes nothing is "
        "refused (422 naming the fields). With an Idempotency-Key a retry gets the first answer.",
    )
    async def reclassify(
        self, plaza: FromPath[str], request_id: FromPath[str],
        data: Annotated[RequestReclassify, Body(examples=RECLASSIFY_EXAMPLES)],
        runtime: Runtime, actor: str = ACTOR,
        idempotency_key: str | None = Parameter(header="Idempotency-Key", default=None),
    ) -> Reclassified:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            return await corrections.reclassify_request(
                tx, plaza, request_id, data, actor=actor, idempotency_key=idempotency_key
            )
