"""Archive (port 8005): the register of plazas and units with its audit trail, each unit's
timeline of what happened to it, documents, the register's import and export.

With no command: serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers
and the outbox relay in one process, until SIGINT or SIGTERM. The commands work on the
service's own database from a shell."""

import sys

from services.archive import cli
from services.archive.settings import from_env

if __name__ == "__main__":
    args = cli.parser(__doc__).parse_args()  # --help: usage, and exit before connecting
    settings = from_env()
    if args.command is not None:
        sys.exit(cli.run(args, settings))
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.archive.app import create_app

    serve(lambda: create_app(settings), settings)
