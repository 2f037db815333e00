"""Archive (port 8005): the register of plazas and units with its audit trail, each unit's
timeline of what happened to it, documents, the register's import and export.

With no command: serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers
and the outbox relay in one process, until SIGINT or SIGTERM. The commands work on the
service's own database from a shell."""

import argparse
import sys

from libs.runtime.command import service_parser
from services.archive.register import cli as register_cli
from services.archive.settings import Settings, from_env


def parser() -> argparse.ArgumentParser:
    """The whole command line: no command runs the service."""
    parser = service_parser("archive", Settings, __doc__)
    commands = parser.add_subparsers(dest="command", title="commands (none: run the service)")
    register_cli.add_command(commands)
    rebuild = commands.add_parser("rebuild", help="rebuild timelines and projections by replaying the streams")
    rebuild.add_argument("--plaza", default=None, help="only this plaza (default: all)")
    return parser


def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here, not above: --help answers before nats and the database layer load.
    from services.archive.projections import cli as replay

    replay.main(settings, args.plaza)
    return 0


if __name__ == "__main__":
    args = parser().parse_args()  # --help: usage, and exit before connecting
    settings = from_env()
    if args.command == "rebuild":
        sys.exit(rebuild(args, settings))
    if args.command == "import":
        sys.exit(register_cli.run(args, settings))
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.archive.app import create_app

    serve(lambda: create_app(settings), settings)
