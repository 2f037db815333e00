from __future__ import annotations

import os
from pathlib import Path

from libs.runtime import links
from libs.runtime.settings import ServiceSettings, SettingsError, load

# Where a deployment without SURVEY_LINK_SECRET keeps the secret generated on first start.
LINK_SECRET_FILE = "survey-link-secret"


class Settings(ServiceSettings, kw_only=True):
    service: str = "survey"
    http_port: int = 8004
    # The relay gathers a round for 0.1 s (see ServiceSettings.relay_linger_s): survey's
    # events (visits scheduled, completed) feed archive's timeline and dispatch's
    # second dispatch, which gather them for 0.1 s anyway, and start no prompt path.
    relay_linger_s: float = 0.1
    # How long after a work order closes its return visit falls due (回访时限).
    visit_window_hours: int = 72
    # How often to check that every plaza has this month's key-account plan (drafted for
    # the supervisor to approve).
    plan_check_s: float = 3600.0
    # Signs the no-login survey links (HMAC-SHA256): SURVEY_LINK_SECRET. Anyone who knows
    # it can forge links, so the repository holds none: unset, the service generates one
    # into DATA_DIR/survey-link-secret on first start and keeps it (link_secret_of). In
    # production it must be set: replicas share it, and a generated one would be each
    # replica's own.
    link_secret: str = ""
    # "production" (PLAZADESK_ENV) refuses to start without SURVEY_LINK_SECRET.
    env: str = "development"
    # Requests a minute each client address may make to the occupant's link routes (a
    # token bucket per replica); more answer 429 with Retry-After.
    link_rate_per_minute: int = 30

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.visit_window_hours < 1:
            raise SettingsError("VISIT_WINDOW_HOURS must be at least 1")
        links.check_settings("survey", self.link_secret, self.env, self.link_rate_per_minute, "the survey links")


def from_env(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    # The name an earlier release read; a deployment that set it keeps its links working.
    if "SURVEY_LINK_SECRET" not in env and "SURVEY_SURVEY_LINK_SECRET" in env:
        env["SURVEY_LINK_SECRET"] = env["SURVEY_SURVEY_LINK_SECRET"]
    return load(Settings, "survey", env)


def link_secret_of(settings: Settings) -> str:
    """The configured secret, else the one kept in the data directory, generated (readable
    by the owner only) on the first start."""
    if settings.link_secret:
        return settings.link_secret
    secret = links.kept_secret(settings.data_dir, LINK_SECRET_FILE)
    if len(secret) < 16:
        raise SettingsError(f"{Path(settings.data_dir, LINK_SECRET_FILE)} holds no usable survey link secret "
                            "(at least 16 characters)")
    return secret
