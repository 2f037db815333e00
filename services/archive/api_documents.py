"""Documents on a unit over HTTP: upload, list, download (ETag = the sha256)."""

from __future__ import annotations

from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime import limits
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from services.archive import services_documents, store, store_documents
from services.archive.api import read_upload


class DocumentView(msgspec.Struct, kw_only=True):
    document_id: str
    unit: str
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: str
    url: str


def _document(row) -> DocumentView:
    return DocumentView(
        document_id=row["document_id"], unit=row["unit"], kind=row["kind"], filename=row["filename"],
        content_type=row["content_type"], size_bytes=row["size_bytes"], sha256=row["sha256"],
        uploaded_by=row["uploaded_by"], uploaded_at=iso(row["uploaded_at"]),
        url=f"/v1/plazas/{row['plaza_id']}/units/{row['unit']}/documents/{row['document_id']}",
    )


class DocumentController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/documents"

    @post("/", request_max_body_size=limits.DOCUMENT_MAX)
    async def attach(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        request: Request,
        runtime: Runtime,
        kind: str | None = Parameter(query="kind", default=None),
        filename: str | None = Parameter(query="filename", default=None),
        actor: str = Parameter(header="X-Actor", default="front-desk"),
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[DocumentView]:
        validate_token(plaza, "plaza")
        validate_token(unit, "unit")
        upload = await read_upload(request, kind=kind, filename=filename)
        async with runtime.transaction() as tx:
            row = await services_documents.attach_document(
                tx, plaza, unit, upload, data_dir=runtime.settings.data_dir, actor=actor, correlation_id=correlation_id
            )
        return Response(_document(row), status_code=201)

    @get("/")
    async def index(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            if await store.get_unit(conn, plaza, unit) is None:
                raise NotFound(f"unit {unit!r} is not registered in plaza {plaza!r}", field="unit")
            rows = await store_documents.list_documents(conn, plaza, unit, after=cursor, limit=limit + 1)
        items = [_document(r) for r in rows[:limit]]
        return Page(items=items, next=items[-1].document_id if len(rows) > limit else None)

    @get("/{document_id:str}")
    async def download(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        document_id: FromPath[str],
        runtime: Runtime,
        if_none_match: str | None = Parameter(header="If-None-Match", default=None),
    ) -> Response[bytes]:
        async with runtime.read() as conn:
            row = await store_documents.get_document(conn, plaza, unit, document_id)
        if row is None:
            raise NotFound(f"document {document_id!r} is not filed on unit {unit!r}", field="document_id")
        etag = f'"{row["sha256"]}"'
        headers = {"ETag": etag, "Cache-Control": "private, max-age=0"}
        if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(b"", status_code=304, headers=headers)
        data = await services_documents.read_document(runtime.settings.data_dir, row)
        disposition = f"attachment; filename*=UTF-8''{quote(row['filename'])}"
        return Response(data, media_type=row["content_type"], headers={**headers, "Content-Disposition": disposition})
