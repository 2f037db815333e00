"""Every ``python -m`` entry point answers ``--help`` with its usage and exits 0, before
it opens a database or connects to a broker."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def entry_points() -> list[str]:
    """Every module with a ``__main__`` block, and each service package (its __main__.py)."""
    found = []
    for path in sorted([*ROOT.glob("services/*/__main__.py"), *ROOT.glob("scripts/*.py"), *ROOT.glob("bench/*.py")]):
        if path.name == "__main__.py":
            found.append(".".join(path.parent.relative_to(ROOT).parts))
        elif re.search(r"^if __name__ == .__main__.:", path.read_text(), re.M):
            found.append(".".join(path.with_suffix("").relative_to(ROOT).parts))
    return found


COMMANDS = [[m, "--help"] for m in entry_points()] + [
    ["services.archive", "import", "--help"], ["services.archive", "rebuild", "--help"],
]


def test_every_entry_point_is_found():
    modules = {c[0] for c in COMMANDS}
    assert {f"services.{s}" for s in ("archive", "billing", "dispatch", "intake", "survey")} <= modules
    assert {"scripts.run", "bench.run", "bench.floor_app"} <= modules


@pytest.fixture
def broker_that_must_stay_alone():
    """A listening socket posing as NATS: any connection to it is a start-up that --help
    should not have begun."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield listener


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_prints_the_usage_and_exits_without_connecting(command, broker_that_must_stay_alone, tmp_path):
    port = broker_that_must_stay_alone.getsockname()[1]
    env = {**os.environ, "PLAZADESK_NATS_URL": f"nats://127.0.0.1:{port}", "PLAZADESK_DATA_DIR": str(tmp_path / "data")}
    try:
        done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(command)} did not exit: it started instead ({(exc.stderr or b'')[-500:]!r})")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.lower().startswith("usage: "), done.stdout[:500]  # argparse's, or click's "Usage:"
    with pytest.raises(BlockingIOError):
        broker_that_must_stay_alone.accept()
    assert not (tmp_path / "data").exists(), "--help created the data folder"
