"""``make run`` says first where to open the console and how to sign in: its address,
framed, with the demo logins right under it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from scripts.run import print_console

USERS = [("demo-clerk", "clerk", "pw-clerk"), ("demo-supervisor", "supervisor", "pw-supervisor")]


def system(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(url=lambda name: {"console": "http://127.0.0.1:8000"}[name], data_dir=tmp_path,
                           operator_password_generated=False)


def test_the_console_address_comes_first_with_the_demo_logins_under_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PLAZADESK_OPERATOR_PASSWORD", raising=False)
    print_console(system(tmp_path), USERS)
    lines = capsys.readouterr().out.splitlines()
    assert set(lines[0].strip()) == {"="} and lines[2] == lines[0], "the address is framed"
    assert lines[1].strip().startswith("Open the console: http://127.0.0.1:8000")
    assert "sign in as demo-clerk" in lines[1]
    assert "demo-clerk" in lines[4] and "pw-clerk" in lines[4]
    assert "demo-supervisor" in lines[5] and "pw-supervisor" in lines[5]
    assert "operator" in lines[6] and str(tmp_path / "operator-password") in lines[6]


def test_without_demo_users_the_operator_signs_in(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PLAZADESK_OPERATOR_PASSWORD", raising=False)
    print_console(system(tmp_path), [])
    lines = capsys.readouterr().out.splitlines()
    assert "sign in as operator" in lines[1]
    assert lines[3].strip().startswith("'operator'")
