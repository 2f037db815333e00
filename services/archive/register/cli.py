"""``python -m services.archive import``: the register import from a shell, against the
service's own database (the running service's relay publishes the events an import leaves
in the outbox)."""

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
    from services.archive.register.services import ImportReport

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
                      progress=None) -> ImportReport:
    # Imported here, not above: --help answers before the database layer has loaded.
    from libs.runtime.db import Database, migrate
    from libs.runtime.uow import Tx
    from services.archive import tables
    from services.archive.register import services as register

    parsed = register.read_register(path.read_bytes(), progress)
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await migrate.require_head(db, tables.metadata, "archive")  # tables: python -m scripts.migrate
        async with db.write() as conn:
            return await register.import_units(Tx(conn, tables.outbox, tables.inbox), plaza_id, parsed,
                                               dry_run=dry_run, actor=actor)
    finally:
        await db.dispose()


def add_command(commands) -> None:
    """The ``import`` command, on the subcommands of ``python -m services.archive``."""
    imp = commands.add_parser("import", help="import a plaza's unit register from .csv or .xlsx")
    imp.add_argument("plaza", help="the plaza's id (registered with PUT /v1/plazas/{plaza})")
    imp.add_argument("file", type=Path, help="the register, .csv or .xlsx")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--actor", default="cli")


def main(argv: list[str], settings: Settings) -> int:
    """``import …`` as the service's command line takes it."""
    cli = service_parser("archive", Settings, __doc__)
    add_command(cli.add_subparsers(dest="command", required=True))
    return run(cli.parse_args(argv), settings)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = asyncio.run(import_file(settings, args.plaza, args.file, dry_run=args.dry_run, actor=args.actor,
                                         progress=progress_bar()))
    except DomainError as exc:
        print(f"error ({exc.field}): {exc.detail}", file=sys.stderr)
        return 2
    print(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2))
    return 1 if report.rejected else 0
