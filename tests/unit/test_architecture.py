"""The shape the house style promises: no service imports another, every service has the
same files, domain rules do no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
SHAPE = {"__init__.py", "__main__.py", "app.py", "settings.py", "domain.py", "services.py", "api.py", "handlers.py", "store.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_five_services_exist():
    assert SERVICES == ["archive", "billing", "dispatch", "intake", "survey"]


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service):
    for path in (ROOT / "services" / service).glob("*.py"):
        for module in imports(path):
            if module.startswith("services."):
                assert module.split(".")[1] == service, f"{path.relative_to(ROOT)} imports {module}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_files(service):
    files = {p.name for p in (ROOT / "services" / service).glob("*.py")}
    assert SHAPE <= files, f"{service} lacks {SHAPE - files}"


@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_do_no_io(service):
    forbidden = ("sqlalchemy", "litestar", "faststream", "nats", "httpx", "libs.runtime.db", "libs.runtime.service")
    for path in (ROOT / "services" / service).glob("domain*.py"):
        for module in imports(path):
            assert not module.startswith(forbidden), f"{path.relative_to(ROOT)} imports {module}"


def test_libs_import_no_service():
    for path in (ROOT / "libs").rglob("*.py"):
        assert not any(m.startswith("services") for m in imports(path)), path
