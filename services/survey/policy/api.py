"""The plaza survey policy's routes: show it, replace it."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import FromPath, Parameter

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.survey.policy import services as policy
from services.survey.policy.services import Policy, PolicyUpdate


class PolicyController(Controller):
    path = "/v1/plazas/{plaza:str}/survey-policy"

    @get("/")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> Policy:
        async with runtime.read() as conn:
            return await policy.effective_policy(conn, plaza, runtime.settings.visit_window_hours)

    @put("/")
    async def replace(
        self, plaza: FromPath[str], data: PolicyUpdate, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="supervisor"),
    ) -> Policy:
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            replaced = await policy.put_policy(
                tx, plaza, data, default_window_hours=runtime.settings.visit_window_hours, actor=actor
            )
        # again after commit: no batch that raced it keeps the old
        policy.forget_policy(tx.conn, plaza, runtime.settings.visit_window_hours)
        return replaced
