"""Backups of the whole PlazaDesk, read from the services' own settings (the environment:
each service's DATABASE_URL and DATA_DIR, PLAZADESK_NATS_URL, the operator's NATS password
in OPERATOR_NATS_PASSWORD or make run's data/nats/passwords.json). docs/operations.md#backups.

    python -m scripts.backup create --to /backups [--keep 14]
    python -m scripts.backup list --to /backups
    python -m scripts.backup verify --from /backups/plazadesk-20261205T020000Z
    python -m scripts.backup restore --from /backups/plazadesk-20261205T020000Z [--replace] [--start-nats]

A restore wants the services stopped and an empty NATS (or --replace). --start-nats: the
NATS make run embeds (its store in DATA_DIR/nats), started for the restore and stopped
after, where it stops with the services. Exit status 0 when done, 1 when it failed (the
reason on stderr), 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from libs.runtime import backup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new backup folder under --to")
    create.add_argument("--to", required=True, help="the folder the backups are kept in")
    create.add_argument("--keep", type=int, default=None, help="then remove all but the newest N backups")
    listing = commands.add_parser("list", help="the backups under --to, oldest first")
    listing.add_argument("--to", required=True)
    check = commands.add_parser("verify", help="check one backup folder's files against its manifest")
    check.add_argument("--from", dest="source", required=True)
    restore = commands.add_parser("restore", help="one backup folder back, the services stopped")
    restore.add_argument("--from", dest="source", required=True, help="a backup folder (one that holds manifest.json)")
    restore.add_argument("--replace", action="store_true", help="overwrite streams and databases that are there")
    restore.add_argument("--start-nats", action="store_true", help="start make run's embedded NATS for the restore")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            if args.keep is not None and args.keep < 1:
                parser.error("--keep must be at least 1")
            asyncio.run(backup.create(args.to, backup.service_places(), backup.nats_place(), keep=args.keep))
        elif args.command == "list":
            for folder, book in backup.backups(args.to):
                print(f"{folder}  {book.started_at:%Y-%m-%d %H:%M:%S}Z  {book.total_bytes():>12} bytes  "
                      f"{len(book.streams)} streams  {len(book.databases)} databases")
        elif args.command == "verify":
            book = backup.verify(args.source)
            print(f"{args.source}: {len(book.parts())} files, {book.total_bytes()} bytes, as the manifest says")
        else:
            places = backup.service_places()
            embedded = _embedded_nats() if args.start_nats else None
            try:
                nats = backup.NatsPlace([embedded.services_nats_url], "operator", embedded.passwords["operator"]) \
                    if embedded else backup.nats_place()
                asyncio.run(backup.restore(args.source, places, nats, replace=args.replace))
            finally:
                if embedded:
                    embedded.stop()
    except Exception as exc:  # one line for the operator or the CronJob's log
        print(f"backup {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _embedded_nats():
    """make run's nats-server on its store and with its users (scripts/system.py)."""
    from scripts.system import System

    embedded = System(os.environ.get("PLAZADESK_DATA_DIR", "data"))
    embedded.logs.mkdir(parents=True, exist_ok=True)
    embedded.start_nats()
    return embedded


if __name__ == "__main__":
    sys.exit(main())
