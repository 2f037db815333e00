"""Notices' settings: the read-link secret and the providers, refused early when wrong."""

from __future__ import annotations

import pytest

from libs.runtime.settings import SettingsError
from services.notices.settings import from_env, link_secret_of


def test_production_needs_the_link_secret_and_a_short_one_is_refused():
    with pytest.raises(SettingsError, match="NOTICES_LINK_SECRET must be set in production"):
        from_env({"PLAZADESK_ENV": "production"})
    with pytest.raises(SettingsError, match="at least 16"):
        from_env({"NOTICES_LINK_SECRET": "short"})
    assert from_env({"PLAZADESK_ENV": "production", "NOTICES_LINK_SECRET": "s" * 32}).link_secret == "s" * 32


def test_without_a_secret_one_is_made_once_and_kept(tmp_path):
    settings = from_env({"PLAZADESK_DATA_DIR": str(tmp_path)})
    first = link_secret_of(settings)
    assert len(first) >= 16 and link_secret_of(settings) == first
    assert (tmp_path / "notices-link-secret").stat().st_mode & 0o077 == 0


def test_the_console_address_and_the_providers_come_from_the_environment():
    settings = from_env({"PLAZADESK_CONSOLE_URL": "https://desk.example.com", "NOTICES_CHANNELS": "sms=record"})
    assert (settings.console_url, settings.channels, settings.http_port) == ("https://desk.example.com", "sms=record", 8007)
