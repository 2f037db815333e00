"""The migration step: bring every service's database to the newest revision of its
migrations, once, before any service starts (a service refuses to start otherwise).

    python -m scripts.migrate                       every service
    python -m scripts.migrate --service intake      one (or several: repeat it)
    python -m scripts.migrate --check               change nothing; exit 1 if one is behind
    python -m scripts.migrate --revision dispatch -m "stock locations"
                                                    write the next revision of dispatch from
                                                    what its tables.py declares (then review it)

Each service's database is the one the service itself reads from the same environment
(DATABASE_URL, DATABASE_SCHEMA, DATA_DIR with their PLAZADESK_/<SERVICE>_ prefixes), so the
step runs with the services' own settings: a compose one-shot service, a Kubernetes Job,
or scripts/system.py before it starts the processes. Safe to run twice at once on
PostgreSQL (an advisory lock per service's schema) and again after it is done (a no-op).
See docs/operations.md#migrations.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from libs.runtime import logging as log

SERVICES = ("staff", "archive", "intake", "dispatch", "billing", "survey", "notices", "console")


def service_modules(name: str):
    """(settings module, tables module) of a service."""
    return importlib.import_module(f"services.{name}.settings"), importlib.import_module(f"services.{name}.tables")


def where(settings) -> tuple[str, str | None]:
    return settings.database_url, None if settings.database_url.startswith("sqlite") else settings.database_schema


async def migrate(names: list[str]) -> None:
    from libs.runtime.db import migrate

    for name in names:
        settings_module, tables = service_modules(name)
        url, schema = where(settings_module.from_env())
        outcome = await migrate.upgrade(url, schema, tables.metadata)
        was = ", ".join(sorted(outcome.before)) or ("an older release's tables" if outcome.adopted else "empty")
        now = ", ".join(sorted(outcome.after))
        print(f"{name:<9} {'at' if outcome.before == outcome.after else 'migrated to'} {now}"
              + ("" if outcome.before == outcome.after else f" (was {was})"))


async def check(names: list[str]) -> int:
    from libs.runtime.db import Database, migrate

    behind = 0
    for name in names:
        settings_module, tables = service_modules(name)
        url, schema = where(settings_module.from_env())
        db = Database(url, schema=schema)
        try:
            await migrate.require_head(db, tables.metadata, name)
            print(f"{name:<9} at {', '.join(sorted(migrate.heads(tables.metadata)))}")
        except migrate.NotMigrated as exc:
            behind += 1
            print(str(exc))
        finally:
            await db.dispose()
    return 1 if behind else 0


async def revision(name: str, message: str) -> None:
    from libs.runtime.db import migrate

    _, tables = service_modules(name)
    path = await migrate.new_revision(tables.metadata, message)
    print(f"wrote {path}: review it (docs/operations.md#migrations), then commit it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", action="append", choices=SERVICES, help="only this service (repeatable)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a database is behind")
    parser.add_argument("--revision", metavar="SERVICE", choices=SERVICES,
                        help="autogenerate the next revision of SERVICE's migrations")
    parser.add_argument("-m", "--message", help="what the new revision does (with --revision)")
    args = parser.parse_args(argv)
    log.configure("warning", False, "migrate")
    if args.revision:
        if not args.message:
            parser.error("--revision needs -m MESSAGE")
        asyncio.run(revision(args.revision, args.message))
        return 0
    names = args.service or list(SERVICES)
    if args.check:
        return asyncio.run(check(names))
    asyncio.run(migrate(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
