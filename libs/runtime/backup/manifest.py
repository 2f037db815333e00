"""manifest.json: what a backup holds, taken when, each file's size and SHA-256. It is
written last, into a folder that is renamed into place only then: a folder with a manifest
is a whole backup."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import msgspec

FORMAT = 1
NAME = "manifest.json"


class Part(msgspec.Struct, kw_only=True):
    """One file of the backup, relative to its folder."""

    file: str
    bytes: int
    sha256: str
    taken_at: dt.datetime


class StreamPart(Part, kw_only=True):
    stream: str
    messages: int
    first_seq: int
    last_seq: int
    consumers: int
    # The stream as the server described it when the snapshot began: a restore sends both.
    config: dict
    state: dict


class DatabasePart(Part, kw_only=True):
    service: str
    kind: str  # sqlite | postgresql
    schema: str = ""  # PostgreSQL: the schema dumped
    tables: list[str] = []


class FilesPart(Part, kw_only=True):
    service: str
    paths: list[str]  # under the service's DATA_DIR


class Manifest(msgspec.Struct, kw_only=True):
    format: int = FORMAT
    name: str
    started_at: dt.datetime
    # Every stream's snapshot began at or after this moment, and every database was read
    # after every snapshot: see docs/operations.md#backups for why in this order.
    streams_started_at: dt.datetime
    finished_at: dt.datetime | None = None
    nats_server: str = ""
    streams: list[StreamPart] = []
    databases: list[DatabasePart] = []
    files: list[FilesPart] = []
    # Streams and databases there was nothing of (a service never started, or not run here).
    absent: list[str] = []

    def parts(self) -> list[Part]:
        return [*self.streams, *self.databases, *self.files]

    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.parts())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write(folder: Path, manifest: Manifest) -> None:
    path = folder / NAME
    with open(path, "wb") as out:
        out.write(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, 0o600)


def read(folder: Path) -> Manifest:
    path = folder / NAME
    if not path.is_file():
        raise FileNotFoundError(f"{folder} holds no {NAME}: not a (complete) backup")
    manifest = msgspec.json.decode(path.read_bytes(), type=Manifest)
    if manifest.format != FORMAT:
        raise ValueError(f"{path}: backup format {manifest.format}, this release reads {FORMAT}")
    return manifest


def verify(folder: Path, manifest: Manifest) -> list[str]:
    """What is wrong with the backup's files (empty: each is there, of its size and SHA-256)."""
    problems = []
    for part in manifest.parts():
        path = folder / part.file
        if not path.is_file():
            problems.append(f"{part.file}: missing")
        elif path.stat().st_size != part.bytes:
            problems.append(f"{part.file}: {path.stat().st_size} bytes, the manifest says {part.bytes}")
        elif sha256_of(path) != part.sha256:
            problems.append(f"{part.file}: its SHA-256 differs from the manifest's")
    return problems
