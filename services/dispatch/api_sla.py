"""The plaza's SLA policy over HTTP: business calendar and allowances per class of work."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import FromPath, Parameter

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.dispatch import domain_sla, services, services_sla
from services.dispatch.services_sla import SlaPolicyShown


class SlaPolicyController(Controller):
    path = "/v1/plazas/{plaza:str}/sla-policy"

    @get("/")
    async def show(self, plaza: FromPath[str], runtime: Runtime) -> SlaPolicyShown:
        async with runtime.read() as conn:
            return await services_sla.show_policy(conn, plaza)

    @put("/")
    async def replace(
        self, plaza: FromPath[str], data: domain_sla.SlaPolicy, runtime: Runtime,
        actor: str = Parameter(header="X-Actor", default="front-desk"),
    ) -> SlaPolicyShown:
        """Applies to work orders opened from now on; deadlines already given stay."""
        plaza_token(plaza)
        async with runtime.transaction() as tx:
            await services_sla.replace_policy(tx, plaza, data, actor, services.now())
            shown = await services_sla.show_policy(tx.conn, plaza)
        services_sla.forget_policy(tx.conn, plaza)  # again after commit: no reader cached the old
        return shown
