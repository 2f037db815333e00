"""Create, list, prune and restore backups of a whole PlazaDesk (docs/operations.md#backups).

A backup takes every stream's snapshot first (with its durable consumers' state), then
every database, then the files of each DATA_DIR. In that order a restore counts nothing
twice and loses nothing it held:
- a consumer acknowledges an event only after its own transaction committed, so what the
  restored consumers had acknowledged is in the restored databases; what they had not is
  delivered again and the inboxes (event id) drop what the databases already applied;
- an event a service published after the snapshots began is in its restored outbox marked
  published but missing from the restored stream: the restore marks such rows unpublished
  again, and the service's relay publishes them when it starts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from libs.contracts import STREAMS, utcnow
from libs.runtime.backup import databases, datafiles, jetstream, manifest as mf
from libs.runtime.backup.plan import STREAM_NAMES, NatsPlace, ServicePlace, connect

PREFIX = "plazadesk-"
PARTIAL = ".partial"
# An outbox row marked published up to this long before the snapshots began may still be
# missing from the streams (a mark is written after the publish it records), and the
# stream's clock may differ from the database's by a little.
MARGIN = dt.timedelta(minutes=2)


class BackupError(RuntimeError):
    pass


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _new_name(to: Path, now: dt.datetime) -> str:
    base = PREFIX + now.strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (to / name).exists() or (to / (name + PARTIAL)).exists():
        n += 1
        name = f"{base}-{n}"
    return name


async def create(to: str | os.PathLike, places: list[ServicePlace], nats: NatsPlace, *,
                 keep: int | None = None, say=print) -> Path:
    """A new backup folder under ``to`` (``plazadesk-<UTC time>``); with ``keep``, the
    older backups beyond the newest ``keep`` are removed afterwards. Returns the folder."""
    to = _private_dir(Path(to))
    started = utcnow()
    nc = await connect(nats)  # before anything is written: a NATS that does not answer stops it here
    name = _new_name(to, started)
    work = _private_dir(to / (name + PARTIAL))
    try:
        book = await _take(work, name, started, nc, places, say)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        await nc.close()
    os.replace(work, to / name)
    _fsync_dir(to)
    say(f"backup {to / name}: {book.total_bytes()} bytes")
    if keep is not None:
        for old in prune(to, keep):
            say(f"removed {old}")
    return to / name


async def _take(work: Path, name: str, started: dt.datetime, nc, places: list[ServicePlace], say) -> mf.Manifest:
    """Streams, then databases, then files (the order the module's docstring explains)."""
    book = mf.Manifest(name=name, started_at=started, streams_started_at=utcnow(), nats_server=_version(nc))
    for stream in STREAM_NAMES:
        if not await jetstream.exists(nc, stream):
            book.absent.append(f"stream {stream}")
            continue
        book.streams.append(await _stream(nc, stream, _private_dir(work / "streams")))
        say(f"stream {stream}: {book.streams[-1].messages} messages, {book.streams[-1].bytes} bytes")
    for place in places:
        part = await _database(place, _private_dir(work / "databases"))
        if part is None:
            book.absent.append(f"database {place.service}")
            continue
        book.databases.append(part)
        say(f"database {place.service} ({part.kind}): {len(part.tables)} tables, {part.bytes} bytes")
    for place in places:
        names = datafiles.present(place.data_dir, place.data_files)
        if names:
            target = _private_dir(work / "files") / f"{place.service}.tar.gz"
            datafiles.pack(place.data_dir, names, target)
            book.files.append(mf.FilesPart(service=place.service, paths=names, **_file(work, target)))
    book.finished_at = utcnow()
    mf.write(work, book)
    for folder in (work, *(p for p in work.iterdir() if p.is_dir())):
        _fsync_dir(folder)
    return book


def _version(nc) -> str:
    v = nc.connected_server_version
    return f"{v.major}.{v.minor}.{v.patch}"


def _file(folder: Path, path: Path) -> dict:
    """The part's entry in the manifest, once the file is on disk and its owner's only."""
    os.chmod(path, 0o600)
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    return {"file": str(path.relative_to(folder)), "bytes": path.stat().st_size, "sha256": mf.sha256_of(path),
            "taken_at": utcnow()}


async def _stream(nc, stream: str, folder: Path) -> mf.StreamPart:
    taken_at = utcnow()
    snap = await jetstream.snapshot(nc, stream, folder / f"{stream}.snapshot")
    os.chmod(snap.path, 0o600)
    state = snap.state
    return mf.StreamPart(
        file=f"streams/{stream}.snapshot", bytes=snap.size, sha256=snap.sha256, taken_at=taken_at, stream=stream,
        messages=state.get("messages", 0), first_seq=state.get("first_seq", 0), last_seq=state.get("last_seq", 0),
        consumers=state.get("consumer_count", 0), config=snap.config, state=state)


async def _database(place: ServicePlace, folder: Path) -> mf.DatabasePart | None:
    taken_at = utcnow()
    if databases.is_sqlite(place.database_url):
        if not databases.sqlite_holds_data(place.database_url):
            return None
        target = folder / f"{place.service}.sqlite"
        tables = databases.sqlite_backup(place.database_url, target)
        return mf.DatabasePart(service=place.service, kind="sqlite", tables=tables,
                               **{**_file(folder.parent, target), "taken_at": taken_at})
    tables = await databases.pg_tables(place.database_url, place.database_schema)
    if not tables:
        return None
    target = folder / f"{place.service}.pgdump"
    databases.pg_backup(place.database_url, place.database_schema, target)
    return mf.DatabasePart(service=place.service, kind="postgresql", schema=place.database_schema, tables=tables,
                           **{**_file(folder.parent, target), "taken_at": taken_at})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backups(to: str | os.PathLike) -> list[tuple[Path, mf.Manifest]]:
    """The whole backups under ``to``, oldest first."""
    found = []
    for folder in sorted(Path(to).glob(PREFIX + "*")):
        if folder.is_dir() and not folder.name.endswith(PARTIAL) and (folder / mf.NAME).is_file():
            found.append((folder, mf.read(folder)))
    return sorted(found, key=lambda pair: pair[1].started_at)


def prune(to: str | os.PathLike, keep: int) -> list[Path]:
    """Removes the whole backups beyond the newest ``keep``, and unfinished ones older than
    the newest whole one (a backup that failed half-way); returns what it removed."""
    if keep < 1:
        raise BackupError("--keep must be at least 1: the newest backup is never removed")
    whole = backups(to)
    doomed = [folder for folder, _ in whole[:-keep]]
    if whole:
        newest = whole[-1][0].stat().st_mtime
        doomed += [p for p in Path(to).glob(PREFIX + "*" + PARTIAL) if p.stat().st_mtime < newest]
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed


def verify(source: str | os.PathLike) -> mf.Manifest:
    """The backup's manifest, once every file it names is there with its size and SHA-256
    (a copy kept elsewhere checked before it is needed)."""
    book = mf.read(Path(source))
    problems = mf.verify(Path(source), book)
    if problems:
        raise BackupError("the backup is damaged:\n  " + "\n  ".join(problems))
    return book


async def restore(source: str | os.PathLike, places: list[ServicePlace], nats: NatsPlace, *,
                  replace: bool = False, say=print) -> mf.Manifest:
    """The backup in ``source`` back into the streams, databases and DATA_DIRs, the
    services stopped. Its files are checked against the manifest before anything is
    touched; a stream or database that is already there stops it unless ``replace`` (the
    DATA_DIR files are written over what is there: the keys that go with the databases)."""
    source = Path(source)
    book = verify(source)
    by_service = {p.service: p for p in places}
    nc = await connect(nats)
    try:
        there = [f"stream {s.stream}" for s in book.streams if await jetstream.exists(nc, s.stream)]
        there += [f"database {d.service}" for d in book.databases
                  if d.service in by_service and await _holds_data(by_service[d.service])]
        if there and not replace:
            raise BackupError("already there (stop the services; --replace overwrites them): " + ", ".join(there))
        busy = [d.service for d in book.databases if d.service in by_service
                and databases.is_sqlite(by_service[d.service].database_url)
                and databases.sqlite_in_use(by_service[d.service].database_url)]
        if busy:
            raise BackupError(f"still open by a running process (stop the services first): database {', '.join(busy)}")
        wrong = [f"database {d.service} is {d.kind} in the backup, another kind in the settings"
                 for d in book.databases
                 if d.service in by_service and (d.kind == "sqlite") != databases.is_sqlite(by_service[d.service].database_url)]
        if wrong:
            raise BackupError("; ".join(wrong))
        for part in book.streams:
            if replace and await jetstream.exists(nc, part.stream):
                await jetstream.delete(nc, part.stream)
            await jetstream.restore(nc, part.stream, source / part.file, part.config, part.state)
            say(f"stream {part.stream}: {part.messages} messages restored")
        for part in book.databases:
            place = by_service.get(part.service)
            if place is None:
                say(f"database {part.service}: no such service here, skipped")
                continue
            await _restore_database(place, part, source, replace)
            say(f"database {part.service}: restored ({len(part.tables)} tables)")
        for part in book.files:
            if part.service in by_service:
                datafiles.unpack(source / part.file, by_service[part.service].data_dir)
                say(f"files of {part.service}: {', '.join(part.paths)}")
        for part in book.databases:
            if part.service in by_service:
                again = await _missing_from_stream(nc, by_service[part.service], book.streams_started_at)
                if again:
                    say(f"{part.service}: {len(again)} events published after the snapshot will be published again")
    finally:
        await nc.close()
    return book


async def _holds_data(place: ServicePlace) -> bool:
    if databases.is_sqlite(place.database_url):
        return databases.sqlite_holds_data(place.database_url)
    return bool(await databases.pg_tables(place.database_url, place.database_schema))


async def _restore_database(place: ServicePlace, part: mf.DatabasePart, source: Path, replace: bool) -> None:
    if part.kind == "sqlite":
        databases.sqlite_restore(place.database_url, source / part.file)
    else:
        await databases.pg_restore(place.database_url, part.schema, place.database_schema, source / part.file,
                                   replace=replace)


async def _missing_from_stream(nc, place: ServicePlace, since: dt.datetime) -> list[str]:
    """The service's events marked published in its restored outbox but not in its
    restored stream, marked unpublished again (see the module's docstring)."""
    if place.service not in STREAMS:
        return []
    candidates = await databases.published_since(place.database_url, place.database_schema, since - MARGIN)
    if not candidates:
        return []
    stream = STREAMS[place.service].name
    held = await jetstream.message_ids_since(nc, stream, since - 2 * MARGIN) if await jetstream.exists(nc, stream) else set()
    again = [event_id for event_id in candidates if event_id not in held]
    await databases.publish_again(place.database_url, place.database_schema, again)
    return again
