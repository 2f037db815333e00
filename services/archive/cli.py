"""``python -m services.archive import|rebuild``: the register import and the projection
rebuild from a shell, against the service's own database (the running service's relay
publishes the events an import leaves in the outbox)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from libs.runtime.command import service_parser
from libs.runtime.errors import DomainError
from services.archive.settings import Settings

if TYPE_CHECKING:
    from services.archive import services_import

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
    # Imported here, not above: --help answers before the database layer has loaded.
    from libs.runtime.db import Database
    from libs.runtime.outbox import Tx
    from services.archive import services_import, store

    parsed = services_import.read_register(path.read_bytes(), progress)
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await db.create_all(store.metadata)
        async with db.write() as conn:
            return await services_import.import_units(Tx(conn, store.outbox, store.inbox), plaza_id, parsed,
                                                      dry_run=dry_run, actor=actor)
    finally:
        await db.dispose()


def parser(description: str | None = None) -> argparse.ArgumentParser:
    """The whole command line of ``python -m services.archive``: no command runs the service."""
    parser = service_parser("archive", Settings, description or __doc__)
    commands = parser.add_subparsers(dest="command", title="commands (none: run the service)")
    imp = commands.add_parser("import", help="import a plaza's unit register from .csv or .xlsx")
    imp.add_argument("plaza", help="the plaza's id (registered with PUT /v1/plazas/{plaza})")
    imp.add_argument("file", type=Path, help="the register, .csv or .xlsx")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--actor", default="cli")
    rebuild = commands.add_parser("rebuild", help="rebuild timelines and projections by replaying the streams")
    rebuild.add_argument("--plaza", default=None, help="only this plaza (default: all)")
    return parser


def main(argv: list[str], settings: Settings) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.command is None:
        cli.error("name a command: import or rebuild")
    return run(args, settings)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.command == "rebuild":
            from services.archive import replay

            replay.main(settings, args.plaza)
            return 0
        report = asyncio.run(import_file(settings, args.plaza, args.file, dry_run=args.dry_run, actor=args.actor,
                                         progress=progress_bar()))
    except DomainError as exc:
        print(f"error ({exc.field}): {exc.detail}", file=sys.stderr)
        return 2
    print(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2))
    return 1 if report.rejected else 0
