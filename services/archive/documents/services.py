"""Documents filed on a unit (contract, permit, certificates): the bytes on disk under the
service's data dir, their size and sha256 in the database, one event on the unit's timeline."""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
from pathlib import Path

import msgspec

from libs.contracts import new_event_id, utcnow
from libs.contracts.events import DocumentAttached
from libs.runtime import limits
from libs.runtime.errors import InvalidInput
from libs.runtime.uow import Tx
from services.archive.documents import store
from services.archive.register import services as register
from services.archive.timeline import services as timeline
from services.archive.timeline.services import BadField

KINDS = ("contract", "permit", "certificate", "other")


class Upload(msgspec.Struct, kw_only=True):
    filename: str | None
    content_type: str | None
    data: bytes
    kind: str | None


def clean_filename(name: str | None) -> str:
    if bad := limits.control_character(name or ""):
        raise InvalidInput(f"filename contains the control character {bad}", field="filename")
    # Only the last path segment: the name is shown and sent back, never used as a path.
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        raise BadField("filename is required (the multipart file's name, or ?filename= with a raw body)", field="filename")
    return base[:255]


def check_upload(upload: Upload) -> tuple[str, str, str]:
    if upload.kind not in KINDS:
        raise BadField(f"kind must be one of {', '.join(KINDS)}, not {upload.kind!r}", field="kind")
    filename = clean_filename(upload.filename)
    if not upload.data:
        raise BadField("file is empty: nothing to file", field="file")
    guessed = mimetypes.guess_type(filename)[0]
    content_type = (upload.content_type or "").split(";")[0].strip()
    if not content_type or content_type == "application/octet-stream":
        content_type = guessed or "application/octet-stream"
    return upload.kind, filename, content_type


async def attach_document(
    tx: Tx, plaza_id: str, unit: str, upload: Upload, *, data_dir: str, actor: str, correlation_id: str | None
) -> dict:
    kind, filename, content_type = check_upload(upload)
    await register.require_plaza(tx.conn, plaza_id)
    await register.require_unit(tx.conn, plaza_id, unit)
    document_id = new_event_id()
    relative = Path("documents", plaza_id, unit, document_id)
    target = Path(data_dir, relative)
    await asyncio.to_thread(_write_atomically, target, upload.data)
    try:
        row = {"document_id": document_id, "plaza_id": plaza_id, "unit": unit, "kind": kind, "filename": filename,
               "content_type": content_type, "size_bytes": len(upload.data),
               "sha256": hashlib.sha256(upload.data).hexdigest(), "path": str(relative),
               "uploaded_by": actor, "uploaded_at": utcnow()}
        await store.add_document(tx.conn, row)
        event = DocumentAttached(
            plaza_id=plaza_id, occurred_at=row["uploaded_at"], correlation_id=correlation_id or new_event_id(),
            actor=actor, unit=unit, document_id=document_id, kind=kind, filename=filename,
            content_type=content_type, size_bytes=row["size_bytes"], sha256=row["sha256"],
        )
        await tx.emit(event)
        await timeline.record_event(tx, event)
    except BaseException:
        target.unlink(missing_ok=True)  # no row, no file
        raise
    return row


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, target)


async def read_document(data_dir: str, row) -> bytes:
    return await asyncio.to_thread(Path(data_dir, row["path"]).read_bytes)
