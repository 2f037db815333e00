"""Where the signing key comes from: the file the deployment names, or one generated into
the data directory on the first start and kept (0600)."""

from __future__ import annotations

import os
from pathlib import Path

from libs.runtime import logging as log
from libs.runtime.settings import SettingsError
from services.staff.keys import domain
from services.staff.keys.domain import Keyring

logger = log.get("staff.keys")
GENERATED_NAME = "staff-signing-key.pem"


def load_keyring(settings) -> Keyring:
    previous = [_read_public(p.strip()) for p in settings.previous_public_key_files.split(",") if p.strip()]
    if settings.signing_key_file:
        path = Path(settings.signing_key_file)
        if not path.is_file():
            raise SettingsError(f"STAFF_SIGNING_KEY_FILE {str(path)!r} does not exist")
        return Keyring(_read_private(path), previous)
    path = Path(settings.data_dir) / GENERATED_NAME
    if not path.exists():
        write_private(path, domain.private_pem(domain.new_private_key()))
        logger.info("signing_key_generated", path=str(path))
    return Keyring(_read_private(path), previous)


def write_private(path: Path, data: bytes) -> None:
    """Created 0600 from the start (never readable by others, not even for a moment);
    written aside and renamed, so a crash leaves no half key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_private(path: Path):
    try:
        return domain.load_private(path.read_bytes())
    except ValueError as exc:
        raise SettingsError(f"signing key {str(path)!r}: {exc}") from exc


def _read_public(name: str):
    try:
        return domain.load_public(Path(name).read_bytes())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"previous public key {name!r}: {exc}") from exc
