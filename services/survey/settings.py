from __future__ import annotations

from libs.runtime.settings import ServiceSettings, SettingsError, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "survey"
    http_port: int = 8004
    # The relay gathers a round for 0.1 s (see ServiceSettings.relay_linger_s): survey's
    # events (visits scheduled, skipped, completed) feed archive's timeline and dispatch's
    # second dispatch, which gather them for 0.1 s anyway, and start no prompt path.
    relay_linger_s: float = 0.1
    # How long after a work order closes its return visit falls due (回访时限).
    visit_window_hours: int = 72
    # Signs the no-login survey links (HMAC-SHA256). Set SURVEY_SURVEY_LINK_SECRET (or
    # PLAZADESK_SURVEY_LINK_SECRET) in production: anyone who knows it can forge links.
    # How often to check that every plaza has this month's key-account plan (drafted for
    # the supervisor to approve).
    plan_check_s: float = 3600.0
    survey_link_secret: str = "plazadesk-dev-only-survey-link-secret"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.visit_window_hours < 1:
            raise SettingsError("VISIT_WINDOW_HOURS must be at least 1")
        if len(self.survey_link_secret) < 16:
            raise SettingsError("SURVEY_LINK_SECRET must be at least 16 characters")


def from_env() -> Settings:
    return load(Settings, "survey")
