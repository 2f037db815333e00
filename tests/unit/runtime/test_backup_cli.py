"""python -m scripts.backup: what an operator or a CronJob sees when it is used wrongly."""

from __future__ import annotations

import pytest

from scripts import backup


def test_keep_must_keep_one(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        backup.main(["create", "--to", str(tmp_path), "--keep", "0"])
    assert stopped.value.code == 2 and "--keep must be at least 1" in capsys.readouterr().err


def test_a_folder_that_is_not_a_backup_is_refused_on_one_line(tmp_path, capsys):
    assert backup.main(["restore", "--from", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("backup restore failed:") and "holds no manifest.json" in err and err.count("\n") == 1


def test_list_of_an_empty_folder_lists_nothing(tmp_path, capsys):
    (tmp_path / "plazadesk-20261205T020000Z.partial").mkdir()  # unfinished: not a backup
    assert backup.main(["list", "--to", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
