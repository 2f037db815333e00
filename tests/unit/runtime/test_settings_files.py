"""A secret from a mounted file: ``<KEY>_FILE`` names the file that holds the value (a
Kubernetes or Docker secret), so a database URL or a password need not sit in the
process's environment. The variable itself still wins; an unreadable file stops start-up
naming the variable."""

from __future__ import annotations

import pytest

from libs.runtime.backup.plan import nats_place
from libs.runtime.settings import SettingsError, load
from services.notices.settings import Settings as NoticesSettings


def test_a_database_url_and_a_password_are_read_from_their_files(tmp_path):
    (tmp_path / "database-url").write_text("postgresql+asyncpg://notices:s3cret@db/notices\n")
    (tmp_path / "nats-password").write_text("a-password-from-a-secret")
    (tmp_path / "link-secret").write_text("0123456789abcdef0123\n")
    settings = load(NoticesSettings, "notices", {
        "NOTICES_DATABASE_URL_FILE": str(tmp_path / "database-url"),
        "NOTICES_NATS_PASSWORD_FILE": str(tmp_path / "nats-password"),
        "PLAZADESK_LINK_SECRET_FILE": str(tmp_path / "link-secret"),
        "PLAZADESK_AUTH_JWKS_URL": "http://staff/.well-known/jwks.json"})
    assert settings.database_url == "postgresql+asyncpg://notices:s3cret@db/notices"  # the line break dropped
    assert settings.nats_password == "a-password-from-a-secret"
    assert settings.link_secret == "0123456789abcdef0123"


def test_the_variable_itself_wins_over_a_file(tmp_path):
    (tmp_path / "nats-password").write_text("from-the-file")
    settings = load(NoticesSettings, "notices", {
        "NOTICES_NATS_PASSWORD": "from-the-variable", "NOTICES_NATS_PASSWORD_FILE": str(tmp_path / "nats-password"),
        "PLAZADESK_AUTH_JWKS_URL": "http://staff/.well-known/jwks.json"})
    assert settings.nats_password == "from-the-variable"


def test_a_file_that_cannot_be_read_stops_start_up_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="NOTICES_DATABASE_URL_FILE names .*missing"):
        load(NoticesSettings, "notices", {"NOTICES_DATABASE_URL_FILE": str(tmp_path / "missing"),
                                          "PLAZADESK_AUTH_JWKS_URL": "http://staff/.well-known/jwks.json"})


def test_the_backup_takes_the_operators_nats_password_from_its_file(tmp_path):
    (tmp_path / "operator").write_text("operator-secret\n")
    place = nats_place({"PLAZADESK_NATS_URL": "nats://nats:4222", "OPERATOR_NATS_PASSWORD_FILE": str(tmp_path / "operator"),
                        "PLAZADESK_DATA_DIR": str(tmp_path)})
    assert (place.user, place.password) == ("operator", "operator-secret")
