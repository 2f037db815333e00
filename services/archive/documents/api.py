"""Documents on a unit over HTTP: upload, list, download (ETag = the sha256)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.params import FromPath, Parameter

from libs.contracts import validate_token
from libs.runtime import limits
from libs.runtime.errors import NotFound
from libs.runtime.http import Page, iso
from libs.runtime.service import Runtime
from libs.runtime.auth import ACTOR
from services.archive.documents import services as documents
from services.archive.documents import store
from services.archive.documents.services import Upload
from services.archive.register import services as register
from services.archive.timeline.services import BadField


@dataclass  # so that its __post_init__ runs
class DocumentUpload(Operation):
    """The upload as OpenAPI shows it: a multipart form, or the raw file with ``?kind=&filename=``."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(type="object", required=["file", "kind"], properties={
                    "file": Schema(type="string", format="binary"),
                    "kind": Schema(type="string", enum=list(documents.KINDS)),
                    "filename": Schema(type="string"),
                }),
                examples={"contract": Example(summary="上传租赁合同 / File the lease contract",
                                              value={"file": "lease-A-203.pdf", "kind": "contract"})}),
            "application/octet-stream": OpenAPIMediaType(schema=Schema(type="string", format="binary")),
        })


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


async def read_upload(request: Request, *, kind: str | None, filename: str | None) -> Upload:
    """A multipart form (``file`` plus ``kind``/``filename`` fields) or a raw body with
    ``?filename=&kind=`` and its own Content-Type."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return Upload(filename=filename, content_type=content_type or None, data=await request.body(), kind=kind)
    form = await request.form()
    part = form.get("file")
    if part is None or isinstance(part, str):
        raise BadField("the form has no file part named 'file'", field="file")
    return Upload(filename=form.get("filename") or part.filename or filename, content_type=part.content_type,
                  data=await part.read(), kind=form.get("kind") or kind)


class DocumentController(Controller):
    path = "/v1/plazas/{plaza:str}/units/{unit:str}/documents"

    @post(
        "/", request_max_body_size=limits.DOCUMENT_MAX, operation_class=DocumentUpload,
        summary="上传单元文件 / File a document on a unit",
        description="合同、装修许可、证照等（kind: contract、permit、certificate、other）：multipart 的 file "
        "连同 kind、filename，或文件本身作请求体并带 ?kind=&filename=。文件存盘并记 sha256，发出 DocumentAttached，"
        "记上单元时间线。\n\n"
        "A contract, permit, certificate or other document (``kind``): a multipart ``file`` with "
        "``kind`` and ``filename`` fields, or the raw file with ``?kind=&filename=``. The bytes are kept "
        "on disk with their sha256; DocumentAttached is announced and filed on the unit's timeline.",
    )
    async def attach(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        request: Request,
        runtime: Runtime,
        kind: str | None = Parameter(query="kind", default=None),
        filename: str | None = Parameter(query="filename", default=None),
        actor: str = ACTOR,
        correlation_id: str | None = Parameter(header="X-Correlation-Id", default=None),
    ) -> Response[DocumentView]:
        validate_token(plaza, "plaza")
        validate_token(unit, "unit")
        upload = await read_upload(request, kind=kind, filename=filename)
        async with runtime.transaction() as tx:
            row = await documents.attach_document(
                tx, plaza, unit, upload, data_dir=runtime.settings.data_dir, actor=actor, correlation_id=correlation_id
            )
        return Response(_document(row), status_code=201)

    @get("/", summary="单元文件列表 / List a unit's documents",
         description="单元上的文件，按上传顺序，分页。\n\nThe documents filed on the unit, oldest first, a page at a time.")
    async def index(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        runtime: Runtime,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=100, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            await register.require_unit(conn, plaza, unit)
            rows = await store.list_documents(conn, plaza, unit, after=cursor, limit=limit + 1)
        items = [_document(r) for r in rows[:limit]]
        return Page(items=items, next=items[-1].document_id if len(rows) > limit else None)

    @get("/{document_id:str}", summary="下载文件 / Download a document",
         description="文件本身；ETag 是其 sha256，If-None-Match 相同时答 304。\n\n"
         "The file itself; its ETag is the sha256, so an If-None-Match that still holds gets 304.")
    async def download(
        self,
        plaza: FromPath[str],
        unit: FromPath[str],
        document_id: FromPath[str],
        runtime: Runtime,
        if_none_match: str | None = Parameter(header="If-None-Match", default=None),
    ) -> Response[bytes]:
        async with runtime.read() as conn:
            row = await store.get_document(conn, plaza, unit, document_id)
        if row is None:
            raise NotFound(f"document {document_id!r} is not filed on unit {unit!r}", field="document_id")
        etag = f'"{row["sha256"]}"'
        # nosniff: a browser must not run an uploaded file as the type it guesses (HTML, script).
        headers = {"ETag": etag, "Cache-Control": "private, max-age=0", "X-Content-Type-Options": "nosniff"}
        if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(b"", status_code=304, headers=headers)
        data = await documents.read_document(runtime.settings.data_dir, row)
        disposition = f"attachment; filename*=UTF-8''{quote(row['filename'])}"
        return Response(data, media_type=row["content_type"], headers={**headers, "Content-Disposition": disposition})
