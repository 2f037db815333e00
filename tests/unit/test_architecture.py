"""The shape the house style promises, checked on the tree itself: no service imports
another; every service root holds the same few files and each capability is a package
of layers with the same names; capabilities and layers import downward only, with no
import circle; domain rules do no I/O; every table of a service is in its tables.py; no
file in services/ or libs/ grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
ROOT_FILES = {"__init__.py", "__main__.py", "app.py", "settings.py", "handlers.py", "tables.py"}
ROOT_OPTIONAL = {"facts.py"}
# A capability's layers, lowest first: a layer imports only layers below it. ``export``
# (workbooks and charts an api answers with) sits between the use cases and the routes.
LAYERS = ("domain", "store", "services", "export", "api")
# Entrypoints beside the api: a capability's command line.
ENTRYPOINTS = {"cli"}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, ``from pkg import module`` resolved to the module."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if _exists(candidate):
                    found.add(candidate)
    return found


def _exists(module: str) -> bool:
    base = ROOT.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts)


def capabilities(service: str) -> list[Path]:
    return sorted(p for p in (ROOT / "services" / service).iterdir() if (p / "__init__.py").exists())


def where(module: str) -> tuple[str | None, str | None]:
    """(capability, layer) of a module of a service, (None, root file) at the root."""
    parts = module.split(".")
    if len(parts) == 3:
        return None, parts[2]
    if len(parts) >= 4:
        return parts[2], parts[3]
    return None, None


def test_the_services_exist():
    assert {"archive", "billing", "dispatch", "intake", "staff", "survey", "notices"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service):
    for path in python_files(f"services/{service}"):
        for module in imports(path):
            if module.startswith("services."):
                assert module.split(".")[1] == service, f"{path.relative_to(ROOT)} imports {module}"


def test_libs_import_no_service():
    for path in python_files("libs"):
        assert not any(m.startswith("services") for m in imports(path)), path


@pytest.mark.parametrize("service", SERVICES)
def test_the_root_holds_the_same_few_files(service):
    files = {p.name for p in (ROOT / "services" / service).glob("*.py")}
    assert ROOT_FILES <= files, f"{service} lacks {sorted(ROOT_FILES - files)}"
    extra = files - ROOT_FILES - ROOT_OPTIONAL
    assert not extra, f"services/{service} root holds {sorted(extra)}: put them in a capability package"


@pytest.mark.parametrize("service", SERVICES)
def test_every_capability_is_a_package_of_named_layers(service):
    caps = capabilities(service)
    assert caps, f"services/{service} has no capability package"
    for cap in caps:
        names = {p.stem for p in cap.glob("*.py")} - {"__init__"}
        assert names, f"{cap.relative_to(ROOT)} is empty"
        odd = names - set(LAYERS) - ENTRYPOINTS
        assert not odd, f"{cap.relative_to(ROOT)} holds {sorted(odd)}; layers are named {LAYERS}"
        assert not [p for p in cap.iterdir() if p.is_dir() and (p / "__init__.py").exists()], (
            f"{cap.relative_to(ROOT)} nests packages: a capability is one level deep"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_layers_and_capabilities_import_downward_only(service):
    for path in python_files(f"services/{service}"):
        me = module_name(path)
        my_cap, my_layer = where(me)
        for module in imports(path):
            if not module.startswith(f"services.{service}."):
                continue
            cap, layer = where(module)
            if cap is None or my_cap is None:
                continue  # a root file: tables, facts and settings lie below every capability,
                # app and handlers (the composition root) above them all
            assert layer != "api" or cap == my_cap and my_layer in ENTRYPOINTS, (
                f"{me} imports {module}: no one imports a capability's api"
            )
            if my_cap is None or layer not in LAYERS or my_layer not in LAYERS:
                continue
            if cap == my_cap:
                assert LAYERS.index(layer) < LAYERS.index(my_layer), f"{me} imports {module}: layers import downward"
            else:
                assert layer in ("domain", "store", "services", "export"), f"{me} imports {module}"
    graph = capability_graph(service)
    assert not cycle(graph), f"services/{service}: capabilities import each other in a circle: {cycle(graph)}"


def capability_graph(service: str) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in python_files(f"services/{service}"):
        mine, _ = where(module_name(path))
        if mine is None:
            continue
        for module in imports(path):
            if module.startswith(f"services.{service}."):
                theirs, _ = where(module)
                if theirs and theirs != mine:
                    graph.setdefault(mine, set()).add(theirs)
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of the graph, or [] when it has none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_import_circle_between_modules():
    graph: dict[str, set[str]] = {}
    for path in python_files("services", "libs"):
        me = module_name(path)
        tree = ast.parse(path.read_text())
        # imports made at call time (inside a function) cannot form a circle at import
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        deps = set()
        for node in top:
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif node.module and node.level == 0:
                deps |= {f"{node.module}.{a.name}" for a in node.names if _exists(f"{node.module}.{a.name}")}
                deps.add(node.module)
        graph[me] = {d for d in deps if d.startswith(("services.", "libs.")) and d != me and not me.startswith(d + ".")}
    assert not cycle(graph), f"import circle: {' → '.join(cycle(graph))}"


@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_do_no_io(service):
    forbidden = ("sqlalchemy", "litestar", "faststream", "nats", "httpx", "libs.runtime.db", "libs.runtime.service")
    for path in (ROOT / "services" / service).rglob("domain.py"):
        for module in imports(path):
            assert not module.startswith(forbidden), f"{path.relative_to(ROOT)} imports {module}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_is_in_tables_py(service):
    for path in python_files(f"services/{service}"):
        if path.name == "tables.py" and path.parent.name == service:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_sa_table(node.func):
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} defines a table outside tables.py")


def _is_sa_table(func: ast.expr) -> bool:
    """``sa.Table(…)`` or a bare ``Table(…)`` (SQLAlchemy's), not another library's ``Table``
    (a PDF's table block)."""
    if isinstance(func, ast.Attribute):
        return func.attr == "Table" and isinstance(func.value, ast.Name) and func.value.id in ("sa", "sqlalchemy")
    return isinstance(func, ast.Name) and func.id == "Table"


def test_no_file_over_400_lines():
    # A service's tables.py is exempt: it holds every table of the service (the rule above),
    # one column a line, and grows with the service; its parts are split by comment headings.
    long = [f"{p.relative_to(ROOT)} ({n})" for p in python_files("services", "libs")
            if p.name != "tables.py" and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"over {MAX_LINES} lines: {long}"
