"""What a service keeps as files in its DATA_DIR (archive's documents, generated keys), as
one tar.gz per service and back."""

from __future__ import annotations

import tarfile
from pathlib import Path


def present(data_dir: str, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if (Path(data_dir) / name).exists()]


def pack(data_dir: str, names: list[str], target: Path) -> None:
    with tarfile.open(target, "w:gz") as tar:
        for name in names:
            tar.add(Path(data_dir) / name, arcname=name)


def unpack(source: Path, data_dir: str) -> list[str]:
    """The files back under ``data_dir``, over what is there; returns the top-level names.
    Only plain files and folders under ``data_dir`` are taken (tarfile's ``data`` filter)."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with tarfile.open(source, "r:gz") as tar:
        tar.extractall(data_dir, filter="data")
        return sorted({member.name.split("/")[0] for member in tar.getmembers()})
