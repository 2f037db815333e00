"""The unit register in bulk: import from CSV/.xlsx (with a dry run), export to .xlsx."""

from __future__ import annotations

import asyncio

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime import limits
from libs.runtime.service import Runtime
from services.archive import services, services_import, store
from services.archive.api import read_upload
from services.archive.services_import import ImportReport


class RegisterController(Controller):
    path = "/v1/plazas/{plaza:str}/units"

    @post("/import", request_max_body_size=limits.IMPORT_MAX)
    async def import_register(
        self,
        plaza: FromPath[str],
        request: Request,
        runtime: Runtime,
        dry_run: bool = Parameter(query="dry_run", default=False),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[ImportReport]:
        """Multipart ``file`` or the raw file as the body. 200 with the report, whether or
        not rows were rejected; nothing of a failed import is kept."""
        validate_token(plaza, "plaza")
        upload = await read_upload(request, kind=None, filename=None)
        # Reading a big workbook is CPU work: keep the event loop (and the relay) running.
        parsed = await asyncio.to_thread(services_import.read_register, upload.data)
        async with runtime.transaction() as tx:
            report = await services_import.import_units(
                tx, plaza, parsed, dry_run=dry_run, actor=actor, correlation_id=correlation_id
            )
        return Response(report, status_code=200)

    @get("/export.xlsx")
    async def export_register(self, plaza: FromPath[str], runtime: Runtime) -> Response[bytes]:
        async with runtime.read() as conn:
            await services.require_plaza(conn, plaza)
            rows = await store.all_units(conn, plaza)
        data = await asyncio.to_thread(services_import.export_register, rows)
        return Response(data, media_type=services_import.XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{plaza}-units.xlsx"'})
