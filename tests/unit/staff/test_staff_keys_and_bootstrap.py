"""Where the signing key and the operator's first password come from: files the
deployment names, or generated once into the data directory (0600) and kept."""

from __future__ import annotations

import os
import stat

import pytest

from libs.runtime.settings import SettingsError, load
from scripts.system import ensure_operator_password
from services.staff.keys import domain as keys
from services.staff.keys import services as key_files
from services.staff.settings import Settings, from_env


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_generated_key_is_kept_private_and_the_same_on_the_next_start(tmp_path):
    first = key_files.load_keyring(Settings(data_dir=str(tmp_path)))
    path = tmp_path / key_files.GENERATED_NAME
    assert mode(path) == 0o600
    assert key_files.load_keyring(Settings(data_dir=str(tmp_path))).kid == first.kid


def test_the_key_file_the_deployment_names_is_used(tmp_path):
    key = keys.new_private_key()
    (tmp_path / "k.pem").write_bytes(keys.private_pem(key))
    settings = from_env({"PLAZADESK_STAFF_SIGNING_KEY_FILE": str(tmp_path / "k.pem"),
                         "PLAZADESK_DATA_DIR": str(tmp_path / "data")})
    assert key_files.load_keyring(settings).kid == keys.public_jwk(key.public_key())["kid"]
    assert not (tmp_path / "data" / key_files.GENERATED_NAME).exists()


def test_a_named_key_file_that_is_missing_stops_the_start(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        key_files.load_keyring(Settings(data_dir=str(tmp_path), signing_key_file=str(tmp_path / "none.pem")))


def test_the_settings_refuse_a_short_operator_password_and_odd_lifetimes():
    with pytest.raises(SettingsError):
        load(Settings, "staff", {"PLAZADESK_OPERATOR_PASSWORD": "short"})
    with pytest.raises(SettingsError):
        load(Settings, "staff", {"STAFF_ACCESS_TOKEN_TTL_S": "7200", "STAFF_REFRESH_TOKEN_TTL_S": "3600"})


def test_make_run_generates_the_operator_password_once_unless_one_is_given(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAZADESK_OPERATOR_PASSWORD", raising=False)
    assert ensure_operator_password(tmp_path, {}) is True
    kept = (tmp_path / "operator-password").read_text()
    assert mode(tmp_path / "operator-password") == 0o600 and len(kept.strip()) >= 20
    assert ensure_operator_password(tmp_path, {}) is False and (tmp_path / "operator-password").read_text() == kept
    assert ensure_operator_password(tmp_path / "other", {"PLAZADESK_OPERATOR_PASSWORD": "given-password"}) is False
    assert not (tmp_path / "other").exists()
