"""The command line of ``python -m services.<name>``: ``--help`` prints what the command does
and every setting it reads, and exits before anything is opened or connected."""

from __future__ import annotations

import argparse

import msgspec

from libs.runtime.settings import ServiceSettings


def service_parser(service: str, settings_cls: type[ServiceSettings], description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=f"python -m services.{service}",
        description=description,
        epilog=settings_help(service, settings_cls),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def settings_help(service: str, settings_cls: type[ServiceSettings]) -> str:
    prefix = service.upper()
    rows = []
    for field in msgspec.structs.fields(settings_cls):
        if field.name == "service":
            continue
        rows.append((f"{prefix}_{field.name.upper()}", _default(field, service)))
    width = max(len(name) for name, _ in rows) + 2
    lines = [f"  {name:<{width}}{default}" for name, default in rows]
    return "\n".join([
        f"settings, from the environment ({prefix}_<NAME>, else PLAZADESK_<NAME>, else the default):",
        *lines,
    ])


def _default(field: msgspec.structs.FieldInfo, service: str) -> str:
    derived = {
        "database_url": f"SQLite, DATA_DIR/{service}.db",
        "database_schema": f"{service} (PostgreSQL only)",
        "log_json": "JSON lines unless on a terminal",
    }
    if field.name in derived:
        return derived[field.name]
    if "secret" in field.name:
        return "(none in the code: set it from the environment; see the service's README)"
    if field.default is not msgspec.NODEFAULT:
        value = field.default
    elif field.default_factory is not msgspec.NODEFAULT:
        value = field.default_factory()
    else:
        return "(required)"
    if value in ("", None):
        return "(none)"
    return str(value).lower() if isinstance(value, bool) else str(value)
