"""The survey link secret: never a default in the repository, required in production."""

from __future__ import annotations

import pytest

from libs.runtime.settings import SettingsError
from services.survey.settings import from_env


def test_production_refuses_to_start_without_a_link_secret():
    with pytest.raises(SettingsError, match="SURVEY_LINK_SECRET must be set in production"):
        from_env({"PLAZADESK_ENV": "production"})
    assert from_env({"PLAZADESK_ENV": "production", "SURVEY_LINK_SECRET": "s" * 32}).link_secret == "s" * 32


def test_the_secret_has_no_default_and_the_earlier_name_still_works():
    assert from_env({}).link_secret == ""  # generated into the data directory at start
    assert from_env({"SURVEY_SURVEY_LINK_SECRET": "k" * 20}).link_secret == "k" * 20
    with pytest.raises(SettingsError, match="at least 16"):
        from_env({"SURVEY_LINK_SECRET": "short"})
