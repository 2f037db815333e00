"""``python -m services.archive import|rebuild``: the register import and the projection
rebuild from a shell, against the service's own database (the running service's relay
publishes the events an import leaves in the outbox)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import msgspec

from libs.runtime.db import Database
from libs.runtime.errors import DomainError
from libs.runtime.outbox import Tx
from services.archive import replay, services_import, store
from services.archive.settings import Settings

BAR_WIDTH = 30


def progress_bar(out=None):
    """A text progress bar redrawn in place: ``[#######.......]  45%  2250/5000 rows``."""
    def show(done: int, total: int) -> None:
        nonlocal out
        out = out or sys.stderr
        share = done / total if total else 1.0
        filled = int(share * BAR_WIDTH)
        out.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}  {done}/{total} rows")
        if done >= total:
            out.write("\n")
        out.flush()
    return show


async def import_file(settings: Settings, plaza_id: str, path: Path, *, dry_run: bool, actor: str = "cli",
                      progress=None) -> services_import.ImportReport:
    parsed = services_import.read_register(path.read_bytes(), progress)
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await db.create_all(store.metadata)
        async with db.write() as conn:
            return await services_import.import_units(Tx(conn, store.outbox, store.inbox), plaza_id, parsed,
                                                      dry_run=dry_run, actor=actor)
    finally:
        await db.dispose()


def main(argv: list[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.archive")
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="import a plaza's unit register from .csv or .xlsx")
    imp.add_argument("plaza")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--actor", default="cli")
    rebuild = commands.add_parser("rebuild", help="rebuild timelines and projections by replaying the streams")
    rebuild.add_argument("--plaza", default=None, help="only this plaza (default: all)")
    args = parser.parse_args(argv)
    try:
        if args.command == "rebuild":
            replay.main(settings, args.plaza)
            return 0
        report = asyncio.run(import_file(settings, args.plaza, args.file, dry_run=args.dry_run, actor=args.actor,
                                         progress=progress_bar()))
    except DomainError as exc:
        print(f"error ({exc.field}): {exc.detail}", file=sys.stderr)
        return 2
    print(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2))
    return 1 if report.rejected else 0
