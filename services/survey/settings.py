from __future__ import annotations

from libs.runtime.settings import ServiceSettings, SettingsError, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "survey"
    http_port: int = 8004
    # Their events (charges, deposits, visits) feed archive's timeline, which gathers them
    # for 0.1 s anyway (consumer_linger_s), and start no prompt path. So the relay gathers
    # a round for 0.1 s too: at 500 closes/s a round of about 50 events goes to nats-server
    # as one atomic batch (one write, where each single publish is one fsync of its own).
    # Measured at 500 closes/s, nine runs each (README, Figures): CPU per close 3.06
    # against 3.34 ms, nats-server's 0.86 against 1.02, end-to-end p99 54.6 against 92.3 ms.
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
